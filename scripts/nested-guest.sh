#!/bin/bash
# A real VMM and a real guest kernel on the KVM under test (inside the test
# VM): the host's qemu-system-x86_64 boots a nested guest (L2) with
# -accel kvm, from a kernel of this workbench and the initramfs of
# 'make nested' (nested/memverify.c: fills the guest's RAM with a pattern,
# checks and rewrites it pass after pass, powers off).  Meanwhile
#   - QEMU runs in a memory cgroup whose memory.max is below the guest's
#     RAM, with swap on zram, so reclaim ages and evicts guest pages and
#     the guest faults them back in;
#   - nested/idle-ager.c ages QEMU's guest RAM through page_idle, pass
#     after pass (KVM's clear_young).
# Passes only if QEMU exits 0, the guest printed every pass and
# "DONE ... bad=0", its kernel printed no BUG/WARNING/Oops/panic, the ager
# completed --ager-passes passes, and memory.stat shows pages stolen from
# the cgroup and faulted back in.  Prints each step with the time since
# QEMU started, then one summary line "nested-guest: ...".
#
#     nested-guest.sh [--kernel BZIMAGE] [--mem MIB] [--limit MIB]
#                     [--zram MIB] [--passes N] [--cpu MODEL]
#                     [--ager-passes N] [--timeout SECONDS] [--boots N]
#                     [--ager 0|1]   (0: no ager, to tell its part in a failure)
#                     [--append "ARGS"]  (more of L2's kernel command line)
# --limit 0: no memory limit (no reclaim, none required).
#
# The unit tests point it elsewhere: NESTED_DIR (build/nested),
# NESTED_KVM (/dev/kvm), NESTED_PAGE_IDLE (page_idle's bitmap),
# NESTED_CGROUP (/sys/fs/cgroup), NESTED_LOGS
# (where the guest's console and the ager's output go),
# NESTED_UNDER_SWAP=1 (swap is set up already), and NESTED_POLL (seconds
# between two looks at QEMU and the ager, 1).
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
nested=${NESTED_DIR:-$top/build/nested}
# The nested guest's kernel: the debug kernel's bzImage (its lockdep shows
# what goes wrong in the guest), else the kernel the test VM booted.
kernel=$top/build/kernel-debug/arch/x86/boot/bzImage
[ -r "$kernel" ] || kernel=${KVMLTS_KERNEL:-$kernel}
mem=256 limit=160 zram=512 passes=4 cpu=qemu64,kvm=off ager_passes=3 timeout=600 boots=3 ager=1 append=
usage="usage: nested-guest.sh [--kernel BZIMAGE] [--mem MIB] [--limit MIB] [--zram MIB] [--passes N] [--cpu MODEL] [--ager-passes N] [--timeout S] [--boots N] [--ager 0|1] [--append ARGS]"
args=("$@")
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "$usage"; exit 2; }
	case $1 in
	--kernel) kernel=$2 ;;
	--mem) mem=$2 ;;
	--limit) limit=$2 ;;
	--zram) zram=$2 ;;
	--passes) passes=$2 ;;
	--cpu) cpu=$2 ;;
	--ager-passes) ager_passes=$2 ;;
	--timeout) timeout=$2 ;;
	--boots) boots=$2 ;;
	--ager) ager=$2 ;;
	--append) append=$2 ;;
	*) echo "$usage"; exit 2 ;;
	esac
	shift 2
done
case $ager in 0|1) ;; *) echo "$usage"; exit 2 ;; esac
for n in "$mem" "$limit" "$zram" "$passes" "$ager_passes" "$timeout" "$boots"; do
	case $n in ''|*[!0-9]*) echo "nested-guest: not a number: '$n'"; exit 2 ;; esac
done
[ "$boots" -ge 1 ] && [ "$passes" -ge 1 ] || { echo "nested-guest: --boots and --passes must be 1 or more"; exit 2; }
fail() { echo "nested-guest: FAIL: $*"; exit 1; }
[ "$limit" -lt "$mem" ] || fail "--limit $limit must be below --mem $mem: else nothing is reclaimed"

# Swap first: the script runs itself again under with-zram-swap.sh.
if [ -z "$NESTED_UNDER_SWAP" ]; then
	NESTED_UNDER_SWAP=1 exec "$here/with-zram-swap.sh" "${zram}M" "$here/nested-guest.sh" "${args[@]}"
fi

kvm=${NESTED_KVM:-/dev/kvm}
page_idle=${NESTED_PAGE_IDLE:-/sys/kernel/mm/page_idle/bitmap}
root=${NESTED_CGROUP:-/sys/fs/cgroup}
[ -e "$kvm" ] || fail "no $kvm"
[ -r "$kernel" ] || fail "no kernel $kernel"
for f in initramfs.cpio idle-ager; do
	[ -r "$nested/$f" ] || fail "no $nested/$f ('make nested' builds it)"
done
[ -w "$page_idle" ] || fail "no $page_idle (CONFIG_IDLE_PAGE_TRACKING)"
grep -qw memory "$root/cgroup.controllers" 2>/dev/null || fail "no memory controller in $root"

work=$(mktemp -d)
# Under vmrun the nested guest's console and the ager's lines go to the run's
# logs directory, where the host can follow them while the test runs.
logs=${NESTED_LOGS:-/run/kvmlts/logs}
poll=${NESTED_POLL:-1}
[ -d "$logs" ] && [ -w "$logs" ] || logs=$work
l2log=$logs/nested-l2.log
agerlog=$logs/nested-ager.log
qpid= apid= cg=
cleanup() {
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$apid" ] && kill "$apid" 2>/dev/null
	wait 2>/dev/null
	[ -z "$cg" ] || rmdir "$cg" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
echo +memory >"$root/cgroup.subtree_control" || fail "cannot enable the memory controller"
cgstat() { awk -v k="$1" '$1 == k { print $2 }' "$cg/memory.stat"; }
cmd=(qemu-system-x86_64 -accel kvm -cpu "$cpu" -smp 1 -m "${mem}M"
	-nographic -no-reboot -nodefaults -serial stdio
	-kernel "$kernel" -initrd "$nested/initramfs.cpio"
	-append "console=ttyS0 loglevel=4 panic=-1 MV_PASSES=$passes${append:+ $append}")
echo "nested-guest: L2 ${mem} MiB, -cpu $cpu, in a cgroup with memory.max ${limit} MiB, swap on zram ${zram} MiB"
echo "\$ ${cmd[*]}"

# emulator_signature LOG: what the nested guest's kernel printed, if it
# printed that it took an interrupt while it was handling one (interrupts
# were off).  The unpatched base as L1 gives the same under QEMU's TCG
# (README, "Nested guests"; results/nested.txt): it is not the series, and
# more likely the emulator's nested SVM.  Either a direct report (lockdep's
# hardirq-context check, a spinlock taken again by its owner) or a lockdep
# report whose lock is being taken again by an interrupt handler's entry.  A
# boot that shows it is not counted and is tried again, up to --boots times.
emulator_signature() {
	awk '
	{ sub(/\r$/, "") }
	/DEBUG_LOCKS_WARN_ON\(lockdep_hardirq_context\(\)\)|BUG: spinlock recursion/ {
		print substr($0, match($0, /DEBUG_LOCKS|BUG: /)); exit
	}
	/WARNING: possible (recursive|circular) locking/ { report = $0; left = 6; next }
	left > 0 && /at: (hrtimer_interrupt|handle_[a-z]+_irq|timekeeping_advance|tick_[a-z_]+|update_wall_time)\+/ {
		sub(/^.*WARNING: /, "", report); sub(/^.*at: /, ""); sub(/\+.*/, "")
		print report " in " $0; exit
	}
	{ left-- }' "$1"
}

elapsed() { echo "$(date +%s.%N) $start" | awk '{ printf "%6.1f", $1 - $2 }'; }

# boot N: one boot of the nested guest, in its own cgroup; sets why (the
# failures), emu (the emulator's signature, if shown) and the figures.
boot() {
	cg=$root/kvmlts-nested-$$-$1
	mkdir "$cg" || fail "cannot create $cg"
	[ "$limit" = 0 ] || echo "${limit}M" >"$cg/memory.max" || fail "cannot limit $cg"
	start=$(date +%s.%N)
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec "${cmd[@]}") >"$l2log" 2>&1 </dev/null &
	qpid=$!
	if [ "$ager" = 1 ]; then
		"$nested/idle-ager" "$qpid" $((mem * 3 / 4)) 500 >"$agerlog" 2>&1 &
		apid=$!
	else
		echo "idle-ager: not started (--ager 0)" >"$agerlog"
	fi
	echo "[$(elapsed) s] boot $1: QEMU started (pid $qpid), ager started"

	# Follow the guest's progress lines until QEMU exits, the time is up,
	# or the emulator's signature shows (then the boot is lost anyway).
	local seen=0 n
	timed_out= emu=
	while kill -0 "$qpid" 2>/dev/null; do
		if [ "$(elapsed | cut -d. -f1)" -ge "$timeout" ]; then
			timed_out=1
			kill -9 "$qpid"
			break
		fi
		n=$(grep -c '^memverify:' "$l2log")
		if [ "$n" -gt "$seen" ]; then
			grep '^memverify:' "$l2log" | tail -n +$((seen + 1)) | head -n $((n - seen)) |
				while read -r line; do echo "[$(elapsed) s] $line"; done
			seen=$n
		fi
		emu=$(emulator_signature "$l2log")
		# A panicked guest reboots slowly here, and the boot is lost anyway.
		if [ -n "$emu" ] || grep -q 'Kernel panic' "$l2log"; then
			kill -9 "$qpid"
			break
		fi
		sleep "$poll"
	done
	wait "$qpid"
	qrc=$?
	qpid=
	[ -n "$emu" ] || emu=$(emulator_signature "$l2log")
	total=$(elapsed)
	grep '^memverify:' "$l2log" | tail -n +$((seen + 1)) | while read -r line; do echo "[$total s] $line"; done
	# The ager stops by itself once QEMU is gone (give it up to 10 s).
	if [ -n "$apid" ]; then
		for _ in $(seq 100); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
		kill "$apid" 2>/dev/null
		wait "$apid"
		apid=
	fi
	local killed=
	[ -z "$timed_out" ] || killed=" (killed at the $timeout s timeout)"
	[ -z "$emu" ] || killed=" (killed: the nested guest's kernel reported '$emu')"
	echo "[$total s] QEMU exited with status $qrc$killed"

	pgscan=$(cgstat pgscan) pgsteal=$(cgstat pgsteal) majflt=$(cgstat pgmajfault)
	refault=$(cgstat workingset_refault_anon)
	# Swap used at its peak (memory.swap.peak; /proc/vmstat's pswpout needs
	# VM_EVENT_COUNTERS, which the test kernels lack).
	swappeak=$(cat "$cg/memory.swap.peak" 2>/dev/null || echo "?")
	echo "memory.stat of QEMU's cgroup: pgscan $pgscan, pgsteal $pgsteal, pgmajfault $majflt, workingset_refault_anon $refault; memory.swap.peak $swappeak bytes"
	rmdir "$cg" 2>/dev/null
	ager_done=$(sed -n 's/^idle-ager: DONE passes=//p' "$agerlog")
	head -1 "$agerlog"
	grep '^idle-ager: pass' "$agerlog" | sed -n '1p;$p' | sed 's/^/ager, first and last: /'
	local l2_reports
	# The guest's console ends its lines with CR LF.
	l2_reports=$(grep -E 'BUG:|WARNING:|Oops|Kernel panic|lockdep|INFO: ' "$l2log" | tr -d '\r' | head -5)
	# Wrong words the guest found in any pass: never excused, never retried.
	badlines=$(grep -cE '^memverify: (bad |pass .* bad=[1-9])' "$l2log")
	done_line=$(grep '^memverify: DONE' "$l2log" | tr -d '\r')
	npasses=$(grep -c '^memverify: pass ' "$l2log")
	bad=$(sed -n 's/^memverify: DONE .*bad=\([0-9]*\).*/\1/p' "$l2log")
	why=()
	[ -z "$timed_out" ] || why+=("QEMU killed at the ${timeout} s timeout")
	[ -n "$emu" ] || [ "$qrc" = 0 ] || why+=("QEMU exited with status $qrc")
	[ -n "$done_line" ] || why+=("the guest never printed DONE")
	[ "$npasses" = "$passes" ] || why+=("$npasses of $passes verification passes")
	[ "$badlines" = 0 ] && { [ -z "$done_line" ] || [ "$bad" = 0 ]; } ||
		why+=("wrong words: ${bad:-some} (memverify: bad lines in the guest's console)")
	[ -z "$l2_reports" ] || why+=("the nested guest's kernel reported: $(echo "$l2_reports" | head -1)")
	[ "$ager" = 0 ] || [ "${ager_done:-0}" -ge "$ager_passes" ] || why+=("the ager completed ${ager_done:-0} passes, fewer than $ager_passes")
	if [ "$limit" != 0 ]; then
		[ "${pgsteal:-0}" -gt 0 ] || why+=("no page of QEMU's cgroup was reclaimed (pgsteal 0)")
		[ "${refault:-0}" -gt 0 ] || why+=("no reclaimed anonymous page was faulted back in (workingset_refault_anon 0)")
	fi
	echo "--- boot $1: the nested guest's console"
	cat "$l2log"
	echo "--- boot $1: the ager (last 3 lines)"
	tail -3 "$agerlog"
}

lost=0
for attempt in $(seq 1 "$boots"); do
	boot "$attempt"
	# Lost to the emulator: retried, unless a word was wrong (never excused).
	if [ -n "$emu" ] && [ "$badlines" = 0 ] && [ "${bad:-0}" = 0 ] && [ "$attempt" -lt "$boots" ]; then
		lost=$((lost + 1))
		echo "nested-guest: boot $attempt lost to the emulator ('$emu' in the nested guest's kernel): not counted, booting again"
		continue
	fi
	break
done
[ -z "$emu" ] || why+=("every boot lost to the emulator (the nested guest's kernel reported '$emu')")
verdict=PASS
[ ${#why[@]} = 0 ] || verdict=FAIL
words=$(echo "$done_line" | sed -n 's/.* words=\([0-9]*\) .*/\1/p')
echo "nested-guest: $verdict: $npasses of $passes passes over ${words:-0} words in ${total##* } s (boot $attempt; $lost lost to the emulator); ager $ager_done passes; pgsteal $pgsteal, refaults $refault${why:+; }$(IFS=';'; echo "${why[*]}")"
[ $verdict = PASS ]
