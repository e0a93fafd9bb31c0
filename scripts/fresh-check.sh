#!/bin/bash
# make fresh-check: the README's two commands on a machine with nothing
# installed.  Builds a minimal Debian 12 root (debootstrap --variant=minbase,
# cached as a tarball), puts a clean clone of this repository's HEAD in it,
# installs make (the README's only prerequisite) and runs 'make check', then
# 'make run', there as root, each timed.  A package
# the workbench needs but 'make deps' does not install fails here, where it
# cannot on a developer's (or CI's) machine that already has it.
#
# usage: fresh-check.sh [COMMAND...]   (default: "make check" then "make run")
# Needs root (chroot, mounts).  Log: build/fresh/fresh-check.log.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "fresh-check needs root (debootstrap, chroot, mounts)"

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
rootfs_tar=$CACHE/fresh-bookworm-minbase.tar
dir=$BUILD/fresh
root=$dir/root
cmds=("$@")
[ ${#cmds[@]} -gt 0 ] || cmds=("make check" "make run")

command -v debootstrap >/dev/null || {
	DEBIAN_FRONTEND=noninteractive run apt-get install -y -q --no-install-recommends debootstrap ||
		die "cannot install debootstrap"
}

umount_all() {
	local m
	for m in dev/pts dev proc sys; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	return 0
}
trap umount_all EXIT

if [ ! -f "$rootfs_tar" ]; then
	log "fresh-check: building a minimal Debian 12 root (cached in $rootfs_tar)"
	rm -rf "$dir/debootstrap"
	mkdir -p "$dir" "$CACHE"
	run debootstrap --variant=minbase bookworm "$dir/debootstrap" "$MIRROR" ||
		die "debootstrap failed (is $MIRROR reachable?)"
	run tar -C "$dir/debootstrap" -cf "$rootfs_tar.tmp" .
	mv "$rootfs_tar.tmp" "$rootfs_tar"
	rm -rf "$dir/debootstrap"
fi

umount_all
# Never delete through a mount that is still there (the host's /dev).
! grep -q " $root/" /proc/mounts || die "$root still has mounts; unmount them first"
rm -rf "$root"
mkdir -p "$root"
run tar -C "$root" -xf "$rootfs_tar"
# What a default Debian 12 installation has: the release, its updates and
# security suites (the pinned linux-source-6.12 comes from the latter).
cat >"$root/etc/apt/sources.list" <<EOS
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOS
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# A clean clone of what is committed, not of this working tree.
run git clone -q --no-hardlinks "$TOP" "$root/work/kvm-mmu-lts"
git -C "$root/work/kvm-mmu-lts" log -1 --format='fresh-check: testing %h %s' >&2

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

# A clean environment, as a new user's root shell has: nothing of ours leaks in.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /work/kvm-mmu-lts && $1"
}

# The README's one prerequisite: make itself (a minimal Debian has no make,
# and the README's commands are make targets).  Everything else must come
# from 'make deps'.
prereq="apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make"

rc=0
mkdir -p "$dir"
: >"$dir/times"
: >"$dir/fresh-check.log"
for c in "$prereq" "${cmds[@]}"; do
	log "fresh-check: \$ $c   (in $root, as root)"
	start=$(date +%s)
	# A failing command must not end this script (set -e, pipefail): the
	# next one still runs, and its time is still written.
	set +e
	in_root "$c" </dev/null 2>&1 | tee -a "$dir/fresh-check.log"
	r=${PIPESTATUS[0]}
	set -e
	secs=$(($(date +%s) - start))
	echo "$c: exit $r in ${secs}s" | tee -a "$dir/times" >&2
	if [ "$r" != 0 ]; then
		rc=1
		[ "$c" != "$prereq" ] || break
	fi
done
log "fresh-check: $([ $rc = 0 ] && echo passed || echo FAILED); times in $dir/times, log in $dir/fresh-check.log"
exit $rc
