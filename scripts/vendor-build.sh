#!/bin/bash
# Build what the series touches the way vendors build it, and fail on any
# warning there:
#     vendor-build.sh debian      Debian's amd64 config (KVM as modules)
#     vendor-build.sh debian-rt   Debian's PREEMPT_RT config
#     vendor-build.sh i386        32-bit x86 defconfig with KVM as modules
# The Debian configs are the .config of the linux-headers package of the
# base's version (pinned in base.conf, downloaded into the cache, SHA-256
# checked).  Debug info is turned off (it changes no warning, and triples
# the time) and the Debian signing certificates, which are not in the
# source package, are left out; nothing else is changed.  Then
# modules_prepare and every object of kvm.ko, kvm-amd.ko and kvm-intel.ko
# (arch/x86/kvm/, which compiles virt/kvm too), in build/kernel-vendor-TARGET.
# The modules are compiled, not linked: modpost needs the symbols of a
# vmlinux built with the same config, about an hour here.  Lockless aging
# is expected on in 'debian' and off in the other two (the series selects
# it on X86_64 without PREEMPT_RT); the phase checks that too.
. "$(dirname "$0")/lib.sh"
need_linux

target=${1:?usage: vendor-build.sh debian|debian-rt|i386}
out=$BUILD/kernel-vendor-$target
arch=(ARCH=x86_64) aging=y
case $target in
debian) flavour=amd64 ;;
debian-rt) flavour=rt-amd64 aging=n ;;
i386) arch=(ARCH=i386) aging=n ;;
*) die "usage: vendor-build.sh debian|debian-rt|i386 (not '$target')" ;;
esac
mk() { run make -C "$LINUX" O="$out" "${arch[@]}" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)" "$@"; }

# fetch_config FLAVOUR: Debian's .config for FLAVOUR, on stdout.
fetch_config() {
	local pkg=linux-headers-$DEBIAN_KVER-$1 sumvar=DEBIAN_HEADERS_SHA256_${1//-/_} deb
	deb=$(fetch_deb "$pkg" "$BASE_VERSION" amd64 "${!sumvar:?no $sumvar in base.conf}")
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$pkg/.config"
}

rm -rf "$out"
mkdir -p "$out"
if [ "$target" = i386 ]; then
	mk defconfig >"$out/config.log" 2>&1
	"$LINUX/scripts/config" --file "$out/.config" -e VIRTUALIZATION -m KVM -m KVM_AMD -m KVM_INTEL
else
	fetch_config "$flavour" >"$out/.config"
	"$LINUX/scripts/config" --file "$out/.config" -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		-d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS ""
fi
mk olddefconfig >>"$out/config.log" 2>&1 || die "olddefconfig failed: $out/config.log"
for opt in KVM=m KVM_AMD=m KVM_INTEL=m; do
	grep -qx "CONFIG_$opt" "$out/.config" || die "$target: CONFIG_$opt is not in the configuration"
done
got=$(grep -q '^CONFIG_KVM_MMU_LOCKLESS_AGING=y' "$out/.config" && echo y || echo n)
[ "$got" = "$aging" ] || die "$target: CONFIG_KVM_MMU_LOCKLESS_AGING=$got, want $aging"

mk modules_prepare >"$out/prepare.log" 2>&1 || { tail -20 "$out/prepare.log" >&2; die "modules_prepare failed: $out/prepare.log"; }
mk arch/x86/kvm/ >"$out/build.log" 2>&1 || {
	grep -m 20 'error' "$out/build.log" >&2 || true
	die "$target: building arch/x86/kvm failed; log: $out/build.log"
}
# Any warning of this step: also one in a header the series changes.
no_warnings "$out/build.log" "$target: compiling arch/x86/kvm and virt/kvm"
log "vendor-build $target: the objects of kvm.ko, kvm-amd.ko, kvm-intel.ko compiled without warnings ($(grep -c ' CC \[M\]' "$out/build.log") files; lockless aging $aging)"
