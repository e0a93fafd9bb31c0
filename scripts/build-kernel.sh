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
# make -C resolves a relative O= against the source tree, not against our
# directory: resolve it once, here, so that make, the fragments and the
# config check all see the same directory.
out=$(realpath -m "${2:-$BUILD/kernel-$flavor}")
case $out in "$(realpath "$LINUX")" | "$(realpath "$LINUX")"/*)
	die "OUTDIR $out is inside the source tree $LINUX: out-of-tree builds need a clean tree" ;;
esac
frags=("$TOP/configs/base.config" "$TOP/configs/$flavor.config")
kmake=(make -C "$LINUX" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")
mkdir -p "$out" "$CCACHE_DIR"

check_config() {
	# KVMLTS_UNDEFINED_OK=1 (baselines): options this tree lacks do not fail.
	python3 "$TOP/scripts/kconfig-check.py" ${KVMLTS_UNDEFINED_OK:+--undefined-ok "$LINUX"} \
		"$out/.config" "${frags[@]}" ||
		die "$flavor config: options above were requested but are not set in $out/.config"
}

stamp=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.kvmlts-config" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out/.config"
	run "${kmake[@]}" -s tinyconfig
	[ -f "$out/.config" ] || die "make tinyconfig wrote no $out/.config"
	cat "${frags[@]}" >>"$out/.config"
	run "${kmake[@]}" -s olddefconfig 2>&1 | { grep -v "override: reassigning" || true; }
	check_config
	echo "$stamp" >"$out/.kvmlts-config"
fi

# progress PID: while the build runs, one line every KVMLTS_PROGRESS seconds
# (default 30): objects compiled so far, of how many the last full build of
# this flavor compiled, elapsed time and the directory being compiled.
progress() {
	local pid=$1 start=$SECONDS every=${KVMLTS_PROGRESS:-30} total n dir
	total=$(cat "$CACHE/objects-$flavor" 2>/dev/null || true)
	while sleep "$every" && kill -0 "$pid" 2>/dev/null; do
		n=$(grep -c -E '^  (CC|AS)  ' "$out/build.log" || true)
		dir=$(grep -E '^  (CC|AS)  ' "$out/build.log" | tail -1 | awk '{print $2}' || true)
		log "   kernel ($flavor): $n objects compiled${total:+ (a full build compiles $total)}," \
			"$(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s${dir:+, now ${dir%/*}}"
	done
}

log "\$ ${kmake[*]} bzImage >$out/build.log 2>&1"
"${kmake[@]}" bzImage >"$out/build.log" 2>&1 &
build=$!
progress "$build" &
watcher=$!
rc=0
wait "$build" || rc=$?
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
if [ "$rc" != 0 ]; then
	tail -30 "$out/build.log" >&2
	die "kernel build ($flavor) failed; full log: $out/build.log"
fi
grep -E '(warning|error):' "$out/build.log" >&2 || true
# The configuration the build used is the one we checked.
[ -f "$out/include/config/auto.conf" ] && [ -f "$out/arch/x86/boot/bzImage" ] ||
	die "make did not build in $out (no include/config/auto.conf or bzImage there)"
check_config
n=$(grep -c -E '^  (CC|AS)  ' "$out/build.log" || true)
[ "$n" -lt 1000 ] || { mkdir -p "$CACHE" && echo "$n" >"$CACHE/objects-$flavor"; }
log "kernel: $out/arch/x86/boot/bzImage"
