#!/bin/bash
# Repeated boots of L2 (128 MiB, 1 pass, no ager), default vs "nolapic noapic":
# how often does L2 report an interrupt inside its own handler?
K=${KVMLTS_TOP:?}/build/kernel-debug/arch/x86/boot/bzImage
I=${KVMLTS_TOP:?}/build/nested/initramfs.cpio
RE='possible recursive locking detected|BUG: spinlock recursion|DEBUG_LOCKS_WARN_ON\(lockdep_hardirq_context\(\)\)'
out=/run/kvmlts/logs
for round in 1 2 3 4 5; do
for v in default kvmoff nolapic; do
	extra=; cpu=qemu64; [ $v = nolapic ] && extra="nolapic noapic"; [ $v = kvmoff ] && cpu=qemu64,kvm=off
	log=$out/p2-$v-$round.log
	start=$(date +%s)
	qemu-system-x86_64 -accel kvm -cpu $cpu -smp 1 -m 128M -nographic -no-reboot -nodefaults -serial stdio -kernel $K -initrd $I -append "console=ttyS0 loglevel=4 panic=-1 MV_PASSES=1 $extra" >$log 2>&1 </dev/null &
	q=$!
	res=timeout
	for i in $(seq 1 120); do
		kill -0 $q 2>/dev/null || { res=exit; break; }
		grep -qE "$RE" $log && { res=emu; kill -9 $q; break; }
		sleep 1
	done
	kill -9 $q 2>/dev/null; wait $q
	grep -qE "$RE" $log && res=emu
	grep -q "memverify: DONE.*bad=0" $log && [ $res = exit ] && res=ok
	echo "p2 $v round $round: $res $(( $(date +%s) - start ))s"
done
done
