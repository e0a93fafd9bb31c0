"""The nested guest's programs, run on the host: nested/memverify.c (the
nested guest's init) finds a word that changed behind its back, and the
initramfs of scripts/mkcpio.py holds exactly /dev/console and /init.  The
ager (nested/idle-ager.c) needs page_idle, which only the test VM's kernel
has: here it is checked to refuse a process without guest RAM; its passes
are checked by the nested_guest test in the VM (scripts/nested-guest.sh)."""
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "scripts"))
import mkcpio  # noqa: E402


def compile_prog(name, out):
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out,
                    os.path.join(TOP, "nested", name + ".c")], check=True)


def read_newc(data):
    """(name, mode, rdev, data) of each entry of a newc archive."""
    entries, off = [], 0
    while True:
        h = data[off:off + 110]
        assert h[:6] == b"070701", h[:6]
        f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off += 110 + namesize
        off += -off % 4
        body = data[off:off + size]
        off += size
        off += -off % 4
        if name == "TRAILER!!!":
            return entries
        entries.append((name, mode, (rmaj, rmin), body))


class MemverifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.prog = os.path.join(cls.tmp.name, "memverify")
        compile_prog("memverify", cls.prog)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_prog(self, **env):
        return subprocess.run([self.prog], env={"MV_FILL_MB": "4", "MV_PASSES": "3", **env},
                              capture_output=True, text=True, timeout=60)

    def test_clean_memory_passes(self):
        r = self.run_prog()
        self.assertEqual(r.returncode, 0, r.stdout)
        lines = r.stdout.splitlines()
        self.assertEqual([ln.split()[2] for ln in lines if ln.startswith("memverify: pass")],
                         ["1/3", "2/3", "3/3"])
        self.assertEqual(lines[-1], "memverify: DONE passes=3 words=524288 bad=0")

    def test_changed_word_is_found(self):
        r = self.run_prog(MV_CORRUPT="4097")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("memverify: bad pass=1 word=4097", r.stdout)
        self.assertIn("memverify: pass 1/3 words=524288 bad=1", r.stdout)
        # The next pass rewrote it: only the first pass finds it.
        self.assertIn("memverify: pass 2/3 words=524288 bad=0", r.stdout)
        self.assertTrue(r.stdout.endswith("memverify: DONE passes=3 words=524288 bad=1\n"))

    def test_nothing_to_fill_fails(self):
        r = self.run_prog(MV_FILL_MB="0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("DONE passes=0 words=0 bad=1", r.stdout)


class IdleAgerTest(unittest.TestCase):
    def test_process_without_guest_ram(self):
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "idle-ager")
            compile_prog("idle-ager", prog)
            # A process with no 64 MiB mapping, reaped as soon as it exits
            # (the ager looks for the mapping while the process lives).
            sleeper = subprocess.Popen(["sleep", "2"])
            reaper = threading.Thread(target=sleeper.wait)
            reaper.start()
            try:
                r = subprocess.run([prog, str(sleeper.pid), "64"], capture_output=True,
                                   text=True, timeout=60)
            finally:
                sleeper.kill()
                reaper.join()
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"no anonymous mapping of 64 MiB or more in process {sleeper.pid}",
                          r.stdout)
            r = subprocess.run([prog], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)


class IdleAgerMapsTest(unittest.TestCase):
    def test_finds_the_largest_anonymous_mapping(self):
        """A process holding an 80 MiB buffer (one private anonymous
        mapping) next to smaller ones: that buffer is the 'guest RAM'."""
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "idle-ager")
            compile_prog("idle-ager", prog)
            holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                                       "b = bytearray(80 << 20); s = bytearray(8 << 20)\n"
                                       "print('ready', flush=True); time.sleep(60)"],
                                      stdout=subprocess.PIPE, text=True)
            try:
                self.assertEqual(holder.stdout.readline().strip(), "ready")
                ager = subprocess.Popen([prog, str(holder.pid), "64"], stdout=subprocess.PIPE,
                                        text=True)
                first = ager.stdout.readline()
                ager.kill()
                ager.wait()
                ager.stdout.close()
            finally:
                holder.kill()
                holder.wait()
                holder.stdout.close()
            # The kernel may merge the buffer with a neighbouring anonymous
            # mapping (the 8 MiB one, malloc's arenas): at least 80 MiB.
            m = re.match(rf"^idle-ager: pid {holder.pid} guest RAM [0-9a-f]+-[0-9a-f]+ "
                         r"\(([0-9]+) MiB\)$", first)
            self.assertTrue(m, first)
            self.assertTrue(80 <= int(m.group(1)) < 120, first)


class MkcpioTest(unittest.TestCase):
    def test_archive(self):
        with tempfile.TemporaryDirectory() as d:
            init = os.path.join(d, "init")
            with open(init, "wb") as f:
                f.write(b"\x7fELF" + bytes(range(7)))
            out = os.path.join(d, "initramfs.cpio")
            subprocess.run([sys.executable, os.path.join(TOP, "scripts", "mkcpio.py"), out, init],
                           check=True)
            with open(out, "rb") as f:
                data = f.read()
        self.assertEqual(len(data) % 4, 0)
        entries = read_newc(data)
        self.assertEqual([e[0] for e in entries], ["dev", "dev/console", "init"])
        self.assertTrue(stat.S_ISDIR(entries[0][1]))
        self.assertTrue(stat.S_ISCHR(entries[1][1]))
        self.assertEqual(entries[1][2], (5, 1))
        self.assertEqual(stat.S_IMODE(entries[2][1]), 0o755)
        self.assertEqual(entries[2][3], b"\x7fELF" + bytes(range(7)))

    def test_usage(self):
        with self.assertRaises(SystemExit):
            mkcpio.main(["mkcpio.py"])


if __name__ == "__main__":
    unittest.main()
