#!/bin/bash
# PID 1 of the test VM.  The root filesystem is the host's, read-only over 9p;
# the run directory is shared read-write as 9p tag "kvmlts".  Runs the tests of
# RUN/plan, one per line:
#     <name> <timeout> <checks or -> <command...>
# and reports on two channels:
#   - markers in the kernel log (kvmlts: BEGIN/END/DONE), so the serial console
#     log alone says which test was running when the kernel complained;
#   - RUN/results ("<name> <rc> <secs>") and RUN/logs/<name>.log;
#   - RUN/guest-info: kernel, cpus, "virtualization: svm|vmx" (absent when the
#     CPU has neither) and "kvm: /dev/kvm" or "kvm: none".
# Then reboots, which ends QEMU (-no-reboot).

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

kmsg() { echo "kvmlts: $*" >/dev/kmsg; }

# check MODULE.PARAM=VALUE: the module parameter must have that value (Y/N and 1/0 alike).
check() {
	local mp=${1%%=*} want=${1#*=} got
	got=$(cat "/sys/module/${mp%%.*}/parameters/${mp#*.}" 2>/dev/null) || {
		echo "check $1: no such parameter"; return 1; }
	case $got in Y) got=1 ;; N) got=0 ;; esac
	case $want in Y) want=1 ;; N) want=0 ;; esac
	[ "$got" = "$want" ] || { echo "check $1: is $got"; return 1; }
}

finish() {
	kmsg DONE
	sync
	busybox reboot -f 2>/dev/null
	echo b >/proc/sysrq-trigger
	sleep 10
}

# Everything below runs inside main(), which bash parses whole before it runs
# it: the script is read live from the host, and editing it during a run must
# not change what the guest executes.
main() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	# Where tests look for cgroup v2 and tracefs (mmu_reclaim_test); the
	# kernel may lack either, then the test says so.
	grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts ||
		mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	grep -q " /sys/kernel/tracing tracefs " /proc/mounts ||
		mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mkdir -p /dev/shm /dev/hugepages /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t hugetlbfs hugetlbfs /dev/hugepages
	mount -t tmpfs tmpfs /run
	mkdir -p /run/kvmlts
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kvmlts /run/kvmlts || {
		kmsg "cannot mount the run directory"; finish; }
	RUN=/run/kvmlts
	# The selftests the runner was given, for scripts that run one.
	if [ -f "$RUN/selftests" ]; then
		KVMLTS_SELFTESTS=$(cat "$RUN/selftests")
		export KVMLTS_SELFTESTS
	fi
	# The kernel this VM booted, for scripts that boot it again nested.
	if [ -f "$RUN/kernel" ]; then
		KVMLTS_KERNEL=$(cat "$RUN/kernel")
		export KVMLTS_KERNEL
	fi
	# A scratch /tmp, unless the host's files we need live there.
	case $KVMLTS_TOP in /tmp/*) ;; *) mount -t tmpfs tmpfs /tmp ;; esac
	ulimit -c 0
	# Some tests back guest memory with hugetlbfs (2 MiB pages): 256 MiB of them.
	echo 128 >/proc/sys/vm/nr_hugepages

	mkdir -p "$RUN/logs"
	: >"$RUN/results"
	# What the tests need of this guest; vmrun fails the mode when the CPU
	# flag or /dev/kvm is missing (else every test would merely skip).
	{
		echo "kernel: $(uname -r) $(cat /proc/cmdline)"
		echo "cpus: $(nproc)"
		grep -o -m1 -w -E 'svm|vmx' /proc/cpuinfo | sed 's/^/virtualization: /'
		if [ -c /dev/kvm ]; then echo "kvm: /dev/kvm"; else echo "kvm: none"; fi
	} >"$RUN/guest-info"

	while read -r name timeout checks cmd; do
		[ -n "$name" ] || continue
		log=$RUN/logs/$name.log
		kmsg "BEGIN $name"
		start=$(date +%s)
		rc=0
		{
			echo "\$ $cmd"
			if [ "$checks" != - ]; then
				for c in ${checks//,/ }; do check "$c" || rc=125; done
			fi
		} >"$log" 2>&1
		if [ $rc = 0 ]; then
			(cd "$(dirname "${cmd%% *}")" && exec timeout -k 10 "$timeout" bash -c "exec $cmd") >>"$log" 2>&1 </dev/null
			rc=$?
		fi
		secs=$(($(date +%s) - start))
		echo "$name $rc $secs" >>"$RUN/results"
		kmsg "END $name rc=$rc secs=$secs"
	done <"$RUN/plan"
	finish
}

main "$@"
