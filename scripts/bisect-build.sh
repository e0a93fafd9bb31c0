#!/bin/bash
# Every patch of the series must build: for each commit on top of the base,
# in order, build the kernel (debug flavor config) and the x86_64 selftests in
# a separate worktree (build/bisect), so build/linux is left alone.  Slow on
# a cold ccache; not part of 'make check'.
. "$(dirname "$0")/lib.sh"
need_linux

flavor=${1:-debug}
wt=$BUILD/bisect
out=$BUILD/kernel-bisect
sout=$BUILD/selftests-bisect
[ -f "$BUILD/kernel-$flavor/.config" ] || die "configure the $flavor kernel first: make kernel FLAVOR=$flavor"
if [ ! -d "$wt" ]; then
	run git -C "$LINUX" worktree add -q --detach "$wt" "$BASE_TAG"
fi
mkdir -p "$out" "$sout"
kmake=(make -C "$wt" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")

n=0 bad=0
for c in $(git -C "$LINUX" rev-list --reverse "$BASE_TAG..HEAD"); do
	n=$((n + 1))
	subj=$(git -C "$LINUX" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	start=$(date +%s)
	# The flavor's config afresh for every commit: olddefconfig at a commit
	# that lacks an option (e.g. a test the series adds later) drops it.
	cp "$BUILD/kernel-$flavor/.config" "$out/.config"
	"${kmake[@]}" -s olddefconfig >/dev/null
	if ! "${kmake[@]}" bzImage >"$out/build-$n.log" 2>&1; then
		log "FAIL $n $subj: kernel (log: $out/build-$n.log)"
		bad=$((bad + 1))
		continue
	fi
	run make -C "$wt" O="$BUILD/headers-bisect" -s headers_install >/dev/null
	if ! make -C "$wt/tools/testing/selftests/kvm" CC="ccache gcc" OUTPUT="$sout" \
		KHDR_INCLUDES="-isystem $BUILD/headers-bisect/usr/include" EXTRA_CFLAGS=-static \
		-j"$(nproc)" >"$sout/build-$n.log" 2>&1; then
		log "FAIL $n $subj: selftests (log: $sout/build-$n.log)"
		bad=$((bad + 1))
		continue
	fi
	log "PASS $n $subj ($(($(date +%s) - start))s)"
done
[ "$n" -gt 0 ] || die "no patches on top of $BASE_TAG"
[ "$bad" = 0 ] || die "bisect-build: $bad of $n patches do not build"
log "bisect-build: all $n patches build"
