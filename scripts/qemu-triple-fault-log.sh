#!/bin/bash
# A qemu-system-x86_64 that records the CPU state of a test VM that
# triple-faults (results/mttcg-repro.txt).  vmrun starts QEMU with
# -no-reboot, so a triple fault ends QEMU with nothing logged; this drops
# -no-reboot and adds -d cpu_reset,guest_errors, so that the triple fault
# becomes a reset and QEMU logs the state each CPU had, then stops QEMU
# QEMU_TRIPLE_WAIT seconds later (default 5; before the VM boots again).  Use it as RATES_QEMU for
# mttcg-rates.sh, or first in PATH for vmrun.py.
#     QEMU_REAL      the QEMU to run (default: /usr/bin/qemu-system-x86_64)
#     QEMU_LOG_DIR   where the logs go (default: build/qemu-logs), one
#                    qemu-STAMP-PID.log per QEMU
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
"$real" -d cpu_reset,guest_errors -D "$log" "${args[@]}" &
qemu=$!
trap 'kill $qemu 2>/dev/null' TERM INT
while kill -0 "$qemu" 2>/dev/null; do
	if grep -q "^Triple fault" "$log" 2>/dev/null; then
		echo "qemu-triple-fault-log: triple fault, CPU state in $log" >&2
		sleep "${QEMU_TRIPLE_WAIT:-5}"
		kill "$qemu" 2>/dev/null
		break
	fi
	sleep 1
done
wait "$qemu"
