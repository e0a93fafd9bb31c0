#!/bin/bash
# Create build/linux: the base tarball as one tagged commit, then the series in
# patches/ applied with git am.  Refuses to throw away commits or changes made
# in build/linux that were not exported (DISCARD=1 overrides).
. "$(dirname "$0")/lib.sh"

state() { git -C "$LINUX" config --get "kvmlts.$1" || true; }

create_base() {
	local tarball
	tarball=$("$TOP/scripts/fetch-base.sh")
	rm -rf "$LINUX"
	mkdir -p "$LINUX"
	run tar -xJf "$tarball" -C "$LINUX" --strip-components=1
	cd "$LINUX"
	run git init -q
	git config user.name kvm-mmu-lts
	git config user.email kvm-mmu-lts@example.org
	git config gc.auto 0
	# The diffs git shows here (and patch-ids) are those 'make export' writes.
	git config diff.algorithm histogram
	run git add -A -f .
	# A fixed date makes the base commit (and its hash) the same on every machine.
	GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
		run git commit -q -m "Linux $BASE_VERSION (Debian $BASE_PACKAGE)"
	git tag "$BASE_TAG"
	git config kvmlts.base "$BASE_VERSION"
}

apply_series() {
	local p n=0
	cd "$LINUX"
	run git checkout -q -f -B work "$BASE_TAG"
	git clean -q -fdx
	while read -r p; do
		if ! git am -q --keep-cr "$TOP/patches/$p" >"$BUILD/am.log" 2>&1; then
			git am --abort >/dev/null 2>&1 || true
			die "patch $p does not apply to $BASE_VERSION: $(grep -m3 -E 'error|failed|conflict' "$BUILD/am.log" | tr '\n' ' ')(full output: $BUILD/am.log)"
		fi
		n=$((n + 1))
	done < <(series_files)
	git config kvmlts.head "$(git rev-parse HEAD)"
	git config kvmlts.series "$(series_hash)"
	log "tree: $LINUX = $BASE_VERSION + $n patches"
}

mkdir -p "$BUILD"
want=$(series_hash)
if [ -d "$LINUX/.git" ] && [ "$(state base)" = "$BASE_VERSION" ]; then
	head=$(git -C "$LINUX" rev-parse HEAD)
	if [ "${DISCARD:-0}" != 1 ]; then
		if [ "$head" != "$(state head)" ]; then
			die "build/linux has commits that are not in patches/ (HEAD $(git -C "$LINUX" log -1 --format='%h %s')).
  Export them with 'make export' (then commit patches/), or throw them away with 'make tree DISCARD=1'."
		fi
		if [ -n "$(git -C "$LINUX" status --porcelain --untracked-files=normal)" ]; then
			die "build/linux has uncommitted changes ($(git -C "$LINUX" status --porcelain | head -3 | tr '\n' ' ')).
  Commit and 'make export' them, or throw them away with 'make tree DISCARD=1'."
		fi
	fi
	if [ "$(state series)" = "$want" ] && [ "${DISCARD:-0}" != 1 ]; then
		log "tree: $LINUX is up to date ($BASE_VERSION + patches/)"
		exit 0
	fi
else
	[ "${DISCARD:-0}" = 1 ] || [ ! -d "$LINUX/.git" ] || [ -z "$(state head)" ] ||
		[ "$(git -C "$LINUX" rev-parse HEAD)" = "$(state head)" ] ||
		die "build/linux is based on $(state base), not $BASE_VERSION, and has unexported commits: 'make export' them first, or 'make tree DISCARD=1'."
	create_base
fi
apply_series
