#!/bin/bash
# Run a program with swap on zram (inside the test VM), for the tests that
# need swap (mmu_reclaim_test): sizes /dev/zram0 through sysfs, mkswap,
# swapon, runs the program, then swapoff and resets the device.
#     with-zram-swap.sh SIZE PROGRAM [ARGS...]
# A PROGRAM without a slash is a KVM selftest, looked up in $KVMLTS_SELFTESTS
# (default: build/selftests of this repository).  Exit status: the
# program's; 1 if swap could not be set up or taken down again.
usage="usage: with-zram-swap.sh SIZE PROGRAM [ARGS...]"
size=${1:?$usage}
prog=${2:?$usage}
shift 2
sys=${ZRAM_SYSFS:-/sys/block/zram0}
dev=${ZRAM_DEV:-/dev/zram0}
case $prog in
*/*) ;;
*) prog=${KVMLTS_SELFTESTS:-$(dirname "$0")/../build/selftests}/$prog ;;
esac

fail() { echo "with-zram-swap: $*"; exit 1; }

[ -x "$prog" ] || fail "no program $prog (selftests not built?)"
[ -d "$sys" ] || fail "no $sys (kernel without CONFIG_ZRAM?)"
[ "$(cat "$sys/disksize")" = 0 ] || fail "$dev is in use (disksize $(cat "$sys/disksize"))"
echo "$size" >"$sys/disksize" || fail "cannot size $dev to $size"

# From here on, whatever ends the script takes the swap down again.
swapped=
teardown() {
	if [ -n "$swapped" ] && ! swapoff "$dev"; then
		echo "with-zram-swap: swapoff $dev failed"
		rc=1
	fi
	echo 1 >"$sys/reset" || { echo "with-zram-swap: cannot reset $dev"; rc=1; }
	exit "$rc"
}
rc=1
trap teardown EXIT
trap 'rc=143; exit' TERM
mkswap "$dev" >/dev/null || fail "mkswap $dev failed"
swapon "$dev" || fail "swapon $dev failed"
swapped=1
echo "with-zram-swap: swap on $dev ($size, zram $(cat "$sys/comp_algorithm" 2>/dev/null))"
"$prog" "$@"
rc=$?
