#!/bin/bash
# checkpatch.pl --strict on every patch of the series: no error, warning or check.
. "$(dirname "$0")/lib.sh"
need_linux

n=0 bad=0
while read -r p; do
	n=$((n + 1))
	# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") fires for every
	# added or moved file; the real check is below, per file.
	outp=$("$LINUX/scripts/checkpatch.pl" --strict --ignore FILE_PATH_CHANGES \
		"$TOP/patches/$p" 2>&1) || true
	total=$(grep -E '^total: ' <<<"$outp" || echo "total: ? (checkpatch did not finish)")
	if [[ $total != "total: 0 errors, 0 warnings, 0 checks"* ]]; then
		bad=$((bad + 1))
		log "checkpatch: $p: $total"
		grep -E '^(ERROR|WARNING|CHECK):' -A3 <<<"$outp" >&2 || true
	fi
done < <(series_files)
# Every file the series adds or moves must be covered by a MAINTAINERS entry
# (the catch-all "THE REST" entry, linux-kernel@vger.kernel.org, does not count).
while read -r f; do
	[ -e "$LINUX/$f" ] || continue
	if ! (cd "$LINUX" && ./scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats -f "$f") |
		grep -v 'linux-kernel@vger.kernel.org' | grep -q '@'; then
		log "checkpatch: $f, added by the series, has no MAINTAINERS entry"
		bad=$((bad + 1))
	fi
done < <(git -C "$LINUX" diff --name-only --diff-filter=AR "$BASE_TAG" HEAD)
[ "$bad" = 0 ] || die "checkpatch: $bad findings"
log "checkpatch: $n patches, all clean with --strict"
