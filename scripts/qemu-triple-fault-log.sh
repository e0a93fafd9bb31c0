#!/bin/bash
# A qemu-system-x86_64 that records the CPU state of a test VM that
# triple-faults (results/mttcg-repro.txt).  vmrun starts QEMU with
# -no-reboot, so a triple fault ends QEMU with nothing logged; this drops
# -no-reboot and adds -d cpu_reset,guest_errors, so that the triple fault
# becomes a reset and QEMU logs the state each CPU had.  The triple fault,
# or any later reset of the guest (its reboot at the end of its plan),
# then stops QEMU QEMU_TRIPLE_WAIT seconds later (default 2), before the VM
# boots again: as with -no-reboot, the VM runs once.  Use it as RATES_QEMU for
# mttcg-rates.sh, or first in PATH for vmrun.py.
#     QEMU_REAL      the QEMU to run (default: /usr/bin/qemu-system-x86_64)
#     QEMU_LOG_DIR   where the logs go (default: build/qemu-logs), one
#                    qemu-STAMP-PID.log per QEMU
#     QEMU_TRIPLE_SETTLE, QEMU_TRIPLE_WAIT   seconds (below; the tests
#                    shorten them)
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
real=${QEMU_REAL:-/usr/bin/qemu-system-x86_64}
case " $* " in *" --version "*|*" -version "*) exec "$real" "$@" ;; esac
dir=${QEMU_LOG_DIR:-$top/build/qemu-logs}
mkdir -p "$dir" || exit 1
log=$dir/qemu-$(date -u +%Y%m%d-%H%M%S)-$$.log
args=()
for a in "$@"; do
	[ "$a" = -no-reboot ] || args+=("$a")
done
resets() {
	local n
	n=$(grep -c "^CPU Reset" "$log" 2>/dev/null)
	echo "${n:-0}"
}

# The watcher: QEMU will be this process ($$, exec below), so that whoever
# kills "QEMU" kills QEMU itself.  A triple fault stops it at once; any
# other reset only once QEMU_TRIPLE_SETTLE seconds (default 20) have gone
# by: QEMU and the firmware reset the CPUs several times at power-on (6
# resets with 2 CPUs), later on a loaded machine.  Its output goes to
# /dev/null: holding QEMU's console pipe open would keep vmrun reading it.
# QEMU, once exited, stays a zombie until its parent reaps it, which may
# wait for the watcher's stderr to close first: a zombie is not alive.
qemu_alive() {
	local state
	state=$(awk '$1 == "State:" { print $2 }' "/proc/$$/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}
(
	waited=0 at_start=
	while qemu_alive; do
		if grep -q "^Triple fault" "$log" 2>/dev/null; then
			echo "qemu-triple-fault-log: triple fault, CPU state in $log" >&2
			break
		fi
		[ -n "$at_start" ] || [ "$waited" -lt "${QEMU_TRIPLE_SETTLE:-20}" ] || at_start=$(resets)
		[ -z "$at_start" ] || [ "$(resets)" -le "$at_start" ] || break
		sleep 1
		waited=$((waited + 1))
	done
	qemu_alive || exit 0
	sleep "${QEMU_TRIPLE_WAIT:-2}"
	kill $$ 2>/dev/null
) >/dev/null &
exec "$real" -d cpu_reset,guest_errors -D "$log" "${args[@]}"
