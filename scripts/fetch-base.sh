#!/bin/bash
# Download the pinned base kernel package into the cache (outside the
# repository), check its SHA-256, and unpack the source tarball next to it.
# Prints the path of the tarball on stdout.
. "$(dirname "$0")/lib.sh"

deb=$CACHE/${BASE_PACKAGE}_${BASE_VERSION/:/%3a}_all.deb
tarball=$CACHE/$BASE_PACKAGE-$BASE_VERSION.tar.xz
mkdir -p "$CACHE"

if [ ! -f "$tarball" ]; then
	if [ ! -f "$deb" ] && ! apt-cache show "$BASE_PACKAGE=$BASE_VERSION" >/dev/null 2>&1; then
		avail=$(apt-cache madison "$BASE_PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | tr '\n' ' ')
		die "$BASE_PACKAGE $BASE_VERSION is not in the archive (versions there: ${avail:-none; run 'apt-get update'?}). Pick one and pass BASE_VERSION=... BASE_SHA256=... (apt-cache show $BASE_PACKAGE=VERSION prints the SHA256)."
	fi
	deb=$(fetch_deb "$BASE_PACKAGE" "$BASE_VERSION" all "$BASE_SHA256")
	log "fetch: $deb: SHA-256 ok"
	run dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$BASE_PACKAGE.tar.xz" >"$tarball.tmp" ||
		die "cannot unpack $deb"
	mv "$tarball.tmp" "$tarball"
fi
echo "$tarball"
