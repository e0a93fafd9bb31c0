#!/usr/bin/env python3
"""Write the nested guest's initramfs: an uncompressed cpio archive (the
kernel's "newc" format, Documentation/driver-api/early-userspace/
buffer-format.rst) holding /dev/console and one program as /init.

    mkcpio.py OUT INIT

The console node is written into the archive, so no root privilege and no
cpio(1) are needed; without it the kernel cannot give init a console.
"""
import os
import stat
import sys


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    name = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name), 0]
    out = b"070701" + b"".join(b"%08X" % f for f in fields) + name
    out += b"\0" * (-len(out) % 4)
    return out + data + b"\0" * (-len(data) % 4)


def archive(init_bytes):
    return b"".join([
        entry(1, "dev", stat.S_IFDIR | 0o755),
        entry(2, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)),
        entry(3, "init", stat.S_IFREG | 0o755, init_bytes),
        entry(0, "TRAILER!!!", 0),
    ])


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: mkcpio.py OUT INIT")
    with open(argv[2], "rb") as f:
        data = archive(f.read())
    tmp = argv[1] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, argv[1])


if __name__ == "__main__":
    main(sys.argv)
