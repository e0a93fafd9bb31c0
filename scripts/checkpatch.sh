#!/bin/bash
# checkpatch.pl --strict on every patch of the series: no error, warning or check.
. "$(dirname "$0")/lib.sh"
need_linux

n=0 bad=0
while read -r p; do
	n=$((n + 1))
	outp=$("$LINUX/scripts/checkpatch.pl" --strict "$TOP/patches/$p" 2>&1) || true
	total=$(grep -E '^total: ' <<<"$outp" || echo "total: ? (checkpatch did not finish)")
	if [[ $total != "total: 0 errors, 0 warnings, 0 checks"* ]]; then
		bad=$((bad + 1))
		log "checkpatch: $p: $total"
		grep -E '^(ERROR|WARNING|CHECK):' -A3 <<<"$outp" >&2 || true
	fi
done < <(series_files)
[ "$bad" = 0 ] || die "checkpatch: $bad of $n patches have findings"
log "checkpatch: $n patches, all clean with --strict"
