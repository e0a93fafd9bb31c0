#!/bin/bash
# Configure and build the kernel of one flavor (debug, kcsan) out of tree in
# build/kernel-FLAVOR (or OUTDIR): tinyconfig + configs/base.config +
# configs/FLAVOR.config.
# Fails when a requested option did not survive olddefconfig.
. "$(dirname "$0")/lib.sh"
need_linux

flavor=${1:?usage: build-kernel.sh FLAVOR [OUTDIR]}
[ -f "$TOP/configs/$flavor.config" ] ||
	die "unknown flavor '$flavor' (flavors: $(cd "$TOP/configs" && ls *.config | grep -v base | sed 's/.config$//' | tr '\n' ' '))"
out=${2:-$BUILD/kernel-$flavor}
frags=("$TOP/configs/base.config" "$TOP/configs/$flavor.config")
kmake=(make -C "$LINUX" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")
mkdir -p "$out" "$CCACHE_DIR"

stamp=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.kvmlts-config" 2>/dev/null)" != "$stamp" ]; then
	run "${kmake[@]}" -s tinyconfig
	cat "${frags[@]}" >>"$out/.config"
	run "${kmake[@]}" -s olddefconfig 2>&1 | { grep -v "override: reassigning" || true; }
	# KVMLTS_UNDEFINED_OK=1 (baselines): options this tree lacks do not fail.
	python3 "$TOP/scripts/kconfig-check.py" ${KVMLTS_UNDEFINED_OK:+--undefined-ok "$LINUX"} \
		"$out/.config" "${frags[@]}" ||
		die "$flavor config: options above were requested but are not set"
	echo "$stamp" >"$out/.kvmlts-config"
fi
run "${kmake[@]}" bzImage >"$out/build.log" 2>&1 || {
	tail -30 "$out/build.log" >&2
	die "kernel build ($flavor) failed; full log: $out/build.log"
}
grep -E '(warning|error):' "$out/build.log" >&2 || true
log "kernel: $out/arch/x86/boot/bzImage"
