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

# fetch_deb PACKAGE VERSION ARCH SHA256: the package's .deb in the cache,
# downloaded from Debian's archive unless it is there already; prints its
# path.  One with another SHA-256 stops the caller (verify_sha256).
fetch_deb() {
	local pkg=$1 version=$2 arch=$3 want=$4 deb
	deb=$CACHE/${pkg}_${version/:/%3a}_$arch.deb
	mkdir -p "$CACHE"
	if [ ! -f "$deb" ]; then
		# apt-get download writes to the current directory (as root it
		# warns that _apt cannot write there; harmless); its progress
		# goes to stderr, stdout is the path only.
		(cd "$CACHE" && run apt-get download "$pkg=$version" >&2) ||
			die "download of $pkg $version failed: is Debian's archive reachable? ('apt-cache madison $pkg' lists the versions)"
	fi
	verify_sha256 "$deb" "$want"
	echo "$deb"
}

# verify_sha256 FILE SHA256: stop unless FILE has that SHA-256; a file with
# another one is moved aside to FILE.bad (kept for a look, never used).
verify_sha256() {
	local sum
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$sum" = "$2" ] && return 0
	mv "$1" "$1.bad"
	die "SHA-256 mismatch for $1: got $sum, want $2 (moved aside to $1.bad)"
}

# no_warnings LOG WHAT [REGEX]: stop, showing them, if the build log LOG
# has compiler warnings (lines matching REGEX; by default every one).
no_warnings() {
	local warnings
	warnings=$(grep -E "${3:-: warning:}" "$1" || true)
	[ -z "$warnings" ] && return 0
	echo "$warnings" >&2
	die "$2: $(echo "$warnings" | wc -l) warning(s) (log: $1)"
}

# ensure_packages WHO PACKAGE...: apt-get install the Debian packages that
# are not installed yet (root needed only then; no apt-get update when all
# are there).  WHO names the caller in the messages.  Prints nothing on
# stdout.
ensure_packages() {
	local who=$1 p missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} = 0 ]; then
		log "$who: all $# packages installed"
		return 0
	fi
	log "$who: missing: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "installing packages needs root; run as root, or: sudo apt-get install ${missing[*]}"
	# apt's progress to stderr: callers print a path on stdout.
	run apt-get update -q >&2 ||
		die "apt-get update failed: is Debian's archive reachable (see /etc/apt/sources.list*)?"
	DEBIAN_FRONTEND=noninteractive run apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install failed for: ${missing[*]}"
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
