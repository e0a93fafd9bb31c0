#!/bin/bash
# Build what the nested guest of scripts/nested-guest.sh needs, in
# build/nested: the guest's init (nested/memverify.c) packed as the whole
# initramfs, and the ager that runs beside QEMU (nested/idle-ager.c).  Both
# static: the initramfs has no libc, and the test VM runs the host's files.
. "$(dirname "$0")/lib.sh"
out=$BUILD/nested
mkdir -p "$out"
for prog in memverify idle-ager; do
	run gcc -static -O2 -Wall -Wextra -Werror -o "$out/$prog" "$TOP/nested/$prog.c"
done
run python3 "$TOP/scripts/mkcpio.py" "$out/initramfs.cpio" "$out/memverify"
