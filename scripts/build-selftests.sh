#!/bin/bash
# Build the KVM selftests of the work tree, statically, against its own UAPI
# headers.  ARCH=x86_64 (default) goes to build/selftests and runs in the VM;
# arm64 and riscv are cross-compile checks (build/selftests-ARCH).  An
# output directory can be given as the second argument; KVMLTS_TREE= in the
# environment builds another tree (baseline.sh builds the base's).
. "$(dirname "$0")/lib.sh"
need_linux

arch=${1:-x86_64}
dest=${2:-}
case $arch in
x86_64) karch=x86 cross= out=$BUILD/selftests ;;
arm64) karch=arm64 cross=aarch64-linux-gnu- out=$BUILD/selftests-arm64 ;;
riscv) karch=riscv cross=riscv64-linux-gnu- out=$BUILD/selftests-riscv ;;
*) die "unknown selftest arch '$arch' (x86_64, arm64, riscv)" ;;
esac
[ -z "$cross" ] || command -v "${cross}gcc" >/dev/null || die "${cross}gcc not found: run 'make deps'"
# Absolute: make -C changes directory before it reads these paths.
out=$(realpath -m "${dest:-$out}")
hdr=$out/headers
mkdir -p "$out"

run make -C "$LINUX" O="$hdr" ARCH="$karch" -s headers_install >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2; die "headers_install ($karch) failed"; }
run make -C "$LINUX/tools/testing/selftests/kvm" ARCH="$karch" CROSS_COMPILE="$cross" \
	CC="ccache ${cross}gcc" OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	EXTRA_CFLAGS=-static -j"$(nproc)" >>"$out/build.log" 2>&1 || {
	grep -E 'error|Error' "$out/build.log" | head -20 >&2
	die "KVM selftests ($arch) failed to build; full log: $out/build.log"
}
grep -E 'warning:' "$out/build.log" >&2 || true
log "selftests ($arch): $(find "$out" -type f -perm -u+x ! -name '*.o' | wc -l) programs in $out"
