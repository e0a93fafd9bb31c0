"""The test VM: which accelerator, the QEMU command line, and one boot of it
with its console copied to console.log and a watchdog that kills a VM whose
test makes no progress.
"""
import os
import queue
import re
import shlex
import subprocess
import threading
import time

import logscan
from suites import MODES, TOP, Error, read_lines

BOOT_TIMEOUT = 600     # seconds from QEMU start to the first test
GRACE = 120            # beyond a test's own timeout before the VM is killed (teardown of many VMs is slow under TCG)
DRAIN = 10             # seconds to wait for the console lines still on their way once the VM is killed


def host_vendor():
    flags = read_lines("/proc/cpuinfo")
    flags = "".join(flags)
    return "vmx" if re.search(r"\bvmx\b", flags) else "svm" if re.search(r"\bsvm\b", flags) else None


def pick_accel(want, tcg_threads="multi"):
    """KVM only where it can run a guest that itself sees SVM/VMX, else TCG."""
    vendor = host_vendor()
    usable = vendor is not None and os.access("/dev/kvm", os.R_OK | os.W_OK)
    why = ("/dev/kvm is usable and the host CPU has " + vendor) if usable else \
        ("the host CPU has no vmx/svm flag" if vendor is None else "/dev/kvm is not accessible")
    if want == "kvm" and not usable:
        raise Error(f"--accel kvm: KVM cannot run a guest with nested virtualization here ({why})")
    if want == "tcg" or not usable:
        return ("tcg" if tcg_threads == "multi" else "tcg-single",
                ["-accel", f"tcg,thread={tcg_threads}", "-cpu", "EPYC,+svm,+npt"], "svm", why)
    return "kvm", ["-accel", "kvm", "-cpu", "host"], vendor, why


def qemu_opt(value):
    """VALUE as it must be written inside a comma-separated QEMU option
    (-fsdev local,...,path=VALUE): a comma in it is doubled, else QEMU takes
    it for the start of the next key=value pair."""
    return value.replace(",", ",,")


def qemu_command(kernel, rundir, accel_args, mode, params, mem, smp):
    append = " ".join(filter(None, [
        "console=ttyS0", "panic=-1", "printk.devkmsg=on", "rootfstype=9p", "root=/dev/root",
        "rootflags=trans=virtio,version=9p2000.L,msize=262144", "ro",
        f"init={TOP}/scripts/guest-init.sh", f"KVMLTS_TOP={TOP}",
        MODES[mode][0], " ".join(params)]))
    return ["qemu-system-x86_64", *accel_args, "-smp", str(smp), "-m", mem,
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-kernel", kernel, "-append", append,
            "-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-9p-pci,fsdev=root,mount_tag=/dev/root",
            # Paths inside comma-separated options are escaped; -kernel takes
            # its path as a whole argument and needs nothing.
            "-fsdev", f"local,id=run,path={qemu_opt(rundir)},security_model=none",
            "-device", "virtio-9p-pci,fsdev=run,mount_tag=kvmlts"]


# The QEMU processes running now, whichever thread started them.  vmrun
# boots its VMs in worker threads, but a signal is handled in the main thread:
# unwinding that one (sys.exit) leaves the workers waiting on their VMs, so
# the SIGTERM handler kills the VMs through this registry (kill_all).  A
# reentrant lock, so that a handler that interrupts its own thread inside
# start() or forget() does not deadlock.
_running = set()
_running_lock = threading.RLock()
_stopped = False


class Stopped(Exception):
    """kill_all() was called: no VM starts any more."""


def start(cmd, qlog):
    """Start QEMU, registered for kill_all()."""
    with _running_lock:
        if _stopped:
            raise Stopped("not starting QEMU: vmrun is being terminated")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=qlog)
        _running.add(proc)
    return proc


def forget(proc):
    with _running_lock:
        _running.discard(proc)


def kill_all():
    """Kill every running VM, and start no more: what vmrun does on SIGTERM."""
    global _stopped
    with _running_lock:
        _stopped = True
        for proc in _running:
            proc.kill()


def boot(cmd, rundir, plan, progress):
    """Run QEMU, copy the console to console.log, kill it on a timeout.

    PLAN is [(run, timeout)].  Returns a short reason when the VM had to be
    killed, else None."""
    timeouts = {run: t for run, t in plan}
    with open(os.path.join(rundir, "console.log"), "w", encoding="utf-8", errors="replace") as console, \
            open(os.path.join(rundir, "qemu.log"), "w") as qlog:
        print("$ " + " ".join(shlex.quote(c) for c in cmd), file=qlog, flush=True)
        proc = start(cmd, qlog)
        lines = queue.Queue()

        def reader():
            for raw in proc.stdout:
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=reader, daemon=True).start()
        try:
            killed = watch(proc, lines, console, timeouts, progress)
        finally:
            # Also when the runner itself is interrupted: never leave a VM behind.
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            forget(proc)
    # A VM that kill_all() ended looks like a guest that died: say why.
    return killed or ("killed: vmrun was terminated" if _stopped else None)


def watch(proc, lines, console, timeouts, progress):
    """Copy console lines until QEMU exits; kill it when a test makes no progress."""
    deadline, killed = time.time() + BOOT_TIMEOUT, None
    current = "boot"
    while True:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line:
            console.write(line)
            console.flush()
            m = logscan.MARKER.search(line)
            if m and m.group(1) == "BEGIN":
                current = m.group(2)
                deadline = time.time() + timeouts.get(current, 300) + GRACE
                progress(f"  .. {current} started")
            elif m and m.group(1) == "END":
                progress(f"  .. {m.group(2)} exited rc={m.group(3)} after {m.group(4)}s")
                current, deadline = "between tests", time.time() + GRACE
            elif m and m.group(1) == "DONE":
                current, deadline = "shutdown", time.time() + GRACE
        if time.time() > deadline:
            killed = f"killed: no progress during {current}"
            proc.kill()
            # What the guest printed last (a lockup report, say) may still
            # be queued, or in the pipe: it is what explains the kill.
            drain(lines, console)
            break
    return killed


def drain(lines, console):
    """Write the lines the reader still delivers, up to its None (the end of
    QEMU's output), waiting DRAIN seconds at most."""
    end = time.time() + DRAIN
    while (left := end - time.time()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        console.write(line)
    console.flush()
