#!/bin/bash
# Download the pinned base kernel package into the cache (outside the
# repository), check its SHA-256, and unpack the source tarball next to it.
# Prints the path of the tarball on stdout.
. "$(dirname "$0")/lib.sh"

deb=$CACHE/${BASE_PACKAGE}_${BASE_VERSION/:/%3a}_all.deb
tarball=$CACHE/$BASE_PACKAGE-$BASE_VERSION.tar.xz
mkdir -p "$CACHE"

if [ ! -f "$tarball" ]; then
	if [ ! -f "$deb" ]; then
		if ! apt-cache show "$BASE_PACKAGE=$BASE_VERSION" >/dev/null 2>&1; then
			avail=$(apt-cache madison "$BASE_PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | tr '\n' ' ')
			die "$BASE_PACKAGE $BASE_VERSION is not in the archive (versions there: ${avail:-none; run 'apt-get update'?}). Pick one and pass BASE_VERSION=... BASE_SHA256=... (apt-cache show $BASE_PACKAGE=VERSION prints the SHA256)."
		fi
		# apt-get download writes to the current directory, as root it warns
		# that _apt cannot write there; harmless.  Its progress goes to
		# stderr: stdout is the tarball path only.
		(cd "$CACHE" && run apt-get download "$BASE_PACKAGE=$BASE_VERSION" >&2) ||
			die "download of $BASE_PACKAGE $BASE_VERSION failed: is Debian's archive reachable?"
	fi
	sum=$(sha256sum "$deb" | cut -d' ' -f1)
	if [ "$sum" != "$BASE_SHA256" ]; then
		mv "$deb" "$deb.bad"
		die "SHA-256 mismatch for $deb: got $sum, want $BASE_SHA256 (moved aside to $deb.bad)"
	fi
	log "fetch: $deb: SHA-256 ok"
	run dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$BASE_PACKAGE.tar.xz" >"$tarball.tmp" ||
		die "cannot unpack $deb"
	mv "$tarball.tmp" "$tarball"
fi
echo "$tarball"
