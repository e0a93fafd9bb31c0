#!/bin/bash
# probe variants of the nested guest: does L2 reach memverify DONE?
K=${KVMLTS_TOP:?}/build/kernel-debug/arch/x86/boot/bzImage
I=${KVMLTS_TOP:?}/build/nested/initramfs.cpio
out=/run/kvmlts/logs
i=0
while IFS='|' read -r name cpu machine extra; do
	i=$((i+1))
	log=$out/probe-$i.log
	start=$(date +%s)
	timeout -k 5 ${PROBE_T:-100} qemu-system-x86_64 -accel kvm -cpu $cpu -machine $machine -smp 1 -m 128M -nographic -no-reboot -nodefaults -serial stdio -kernel $K -initrd $I -append "console=ttyS0 loglevel=4 panic=-1 MV_PASSES=1 $extra" >$log 2>&1 </dev/null
	rc=$?
	echo "probe $i [$name] rc=$rc $(( $(date +%s) - start ))s: $(grep -c 'possible recursive locking\|spinlock recursion\|WARNING' $log) reports; $(grep 'memverify: DONE' $log)"
done <<'LIST'
default|qemu64|pc|
irqchip-off|qemu64|pc,kernel-irqchip=off|
irqchip-split|qemu64|pc,kernel-irqchip=split|
nohpet-noapic|qemu64|pc,hpet=off|noapic
nolapic|qemu64|pc|nolapic noapic
q35|qemu64|q35|
LIST
