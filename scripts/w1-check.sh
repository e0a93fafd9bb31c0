#!/bin/bash
# Rebuild KVM (arch/x86/kvm, which also compiles virt/kvm) with W=1 and fail
# on any warning in those directories.  Objects are deleted first so every
# file is really compiled (ccache replays cached warnings).
. "$(dirname "$0")/lib.sh"
need_linux

flavor=${1:-debug}
out=$BUILD/kernel-$flavor
[ -f "$out/.config" ] || die "no configured kernel in $out: run 'make kernel FLAVOR=$flavor'"
find "$out/arch/x86/kvm" "$out/virt/kvm" -name '*.o' -delete 2>/dev/null || true
run make -C "$LINUX" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)" W=1 \
	arch/x86/kvm/ >"$out/w1.log" 2>&1 || {
	grep -E 'error' "$out/w1.log" | head -20 >&2
	die "W=1 build of arch/x86/kvm failed; log: $out/w1.log"
}
no_warnings "$out/w1.log" "W=1 build of arch/x86/kvm and virt/kvm" \
	'^[^ ]*(arch/x86/kvm|virt/kvm)/[^ ]*: warning:'
log "w1: arch/x86/kvm and virt/kvm build with W=1 without warnings ($(grep -c ' CC ' "$out/w1.log") files compiled)"
