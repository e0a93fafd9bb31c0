#!/bin/bash
# QEMU 10.0 from Debian's bookworm-backports, for 'make mttcg-rates
# RATES_QEMU=10': the second emulator of issue 10's pass-rate table.
#     fetch-qemu10.sh        prints the path of its qemu-system-x86_64
# The packages are unpacked into build/qemu-VERSION, never installed, so
# Debian's QEMU 7.2 (what make check uses) stays as it is.  They are pinned
# like the base kernel: a download with another SHA-256 stops here.  The
# shared libraries they need are bookworm's (backports are built against
# it); the missing ones are installed with apt-get.
. "$(dirname "$0")/lib.sh"

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VERSION=10.0.2+ds-2+deb13u1~bpo12+1
# pool path and SHA-256 (from bookworm-backports' Packages index)
DEBS=(
	"q/qemu/qemu-system-x86_${VERSION}_amd64.deb 4a6b1856c8b0d7df4ff8e70249e12c473ccf8d516aadb4ae14d3d938faed0c65"
	"q/qemu/qemu-system-common_${VERSION}_amd64.deb 23a4672a138832d7173855e981aa8282c73ef5e04e080fa7ada9f82c6b34f507"
	"q/qemu/qemu-system-data_${VERSION}_all.deb 2d831088187087013b3fcbd19bdfb955b182a2d5a08f6dafa0ad1c6d2007fb4e"
	"s/seabios/seabios_1.16.3-2~bpo12+1_all.deb 48390d0a534c66d11789e39518aa219773a9d3677b29fe1af8799dfb563ec713"
)
dir=$BUILD/qemu-${VERSION%%+*}
wrapper=$dir/bin/qemu-system-x86_64

# fetch_pool POOLPATH SHA256: the .deb in the cache (downloaded from the
# archive's pool unless there); prints its path.  apt-get download cannot
# be used: the host's apt need not know bookworm-backports.
fetch_pool() {
	local deb=$CACHE/${1##*/}
	mkdir -p "$CACHE"
	if [ ! -f "$deb" ]; then
		log "fetch-qemu10: downloading $MIRROR/pool/main/$1"
		python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
			"$MIRROR/pool/main/$1" "$deb.tmp" ||
			die "download of $MIRROR/pool/main/$1 failed: is Debian's archive reachable?"
		mv "$deb.tmp" "$deb"
	fi
	verify_sha256 "$deb" "$2"
	echo "$deb"
}

# The libraries named in the packages' Depends, less the packages fetched
# here and the ROMs (ipxe-qemu: bookworm's, installed with QEMU 7.2).
libraries() {
	local deb
	for deb in "$@"; do
		dpkg-deb -f "$deb" Depends
	done | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/ //g' |
		grep -v -e '^$' -e '^qemu-' -e '^seabios$' -e '^ipxe-qemu$' | sort -u
}

if [ ! -x "$wrapper" ]; then
	debs=()
	for d in "${DEBS[@]}"; do
		debs+=("$(fetch_pool "${d% *}" "${d#* }")")
	done
	# shellcheck disable=SC2046  # one package name per word
	ensure_packages fetch-qemu10 $(libraries "${debs[@]}")
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp/bin"
	for deb in "${debs[@]}"; do
		dpkg-deb -x "$deb" "$dir.tmp"
	done
	# Its own firmware and ROMs first (-L), not QEMU 7.2's in /usr/share;
	# found from the wrapper's own place, so that build/ may move.
	cat >"$dir.tmp/bin/qemu-system-x86_64" <<'EOS'
#!/bin/sh
d=$(dirname "$(readlink -f "$0")")/..
exec "$d/usr/bin/qemu-system-x86_64" -L "$d/usr/share/qemu" -L "$d/usr/share/seabios" "$@"
EOS
	chmod +x "$dir.tmp/bin/qemu-system-x86_64"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
missing=$(ldd "$dir/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
[ -z "$missing" ] || die "QEMU 10 in $dir lacks libraries: $missing"
v=$("$wrapper" --version) || die "$wrapper --version failed (see above)"
[[ $v == *"version ${VERSION%%+*}"* ]] || die "$wrapper is not QEMU ${VERSION%%+*}: $v"
echo "$wrapper"
