# Shared helpers for the workbench scripts.  Source it; do not run it.
# shellcheck shell=bash

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=${KVMLTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-mmu-lts}
LINUX=${KVMLTS_TREE:-$BUILD/linux}
BASE_TAG=base

# Pinned base unless the caller overrides it through the environment.
_v=${BASE_VERSION:-} _s=${BASE_SHA256:-}
# shellcheck source=../base.conf
. "$TOP/base.conf"
BASE_VERSION=${_v:-$BASE_VERSION}
BASE_SHA256=${_s:-$BASE_SHA256}
unset _v _s

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Print an external command, then run it: a failure can be reproduced by copy-paste.
run() {
	printf '$' >&2
	printf ' %q' "$@" >&2
	printf '\n' >&2
	"$@"
}

# phase NAME CMD...: run one workbench phase and report its status and elapsed time.
phase() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	log "== $name: $([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)") in $(($(date +%s) - start))s"
	return "$rc"
}

need_linux() {
	git -C "$LINUX" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null 2>&1 ||
		die "no work tree at $LINUX: run 'make tree' first"
}

SERIES=$TOP/patches/series

# The patch files of the series, in order.
series_files() {
	[ -f "$SERIES" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$SERIES"
}

series_hash() {
	{ echo "$BASE_VERSION"; series_files | while read -r p; do
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		echo "$p"; cat "$TOP/patches/$p"; done; } | sha256sum | cut -d' ' -f1
}
