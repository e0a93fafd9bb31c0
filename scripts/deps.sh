#!/bin/bash
# Install every Debian package the workbench needs.  Idempotent: installs only
# what is missing, and does nothing (not even apt-get update) when all is there.
#
# Checked against the kernel's Documentation/process/changes.rst (6.12): of
# its list, a tinyconfig-based x86-64 build needs gcc, make and binutils
# (build-essential), flex, bison, bc, cpio, kmod, openssl/libcrypto
# (libssl-dev), libelf (objtool), perl, python3 and GNU tar, which a minimal
# Debian root has, like util-linux, coreutils and awk.  pahole (BTF only),
# Rust/bindgen, Sphinx and the filesystem and userspace tools it lists are
# not used.  changes.rst does not list rsync, which headers_install needs.
# 'make fresh-check' proves the list on a minimal Debian 12 root.
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	# kernel build
	build-essential flex bison bc cpio kmod libelf-dev libssl-dev ccache
	# fetching and unpacking the base, the work tree
	git xz-utils ca-certificates
	# headers_install (selftests build) copies headers with rsync
	rsync
	# booting and testing: QEMU (TCG or KVM), busybox for the guest's reboot
	qemu-system-x86 busybox-static
	# checkpatch, the runner and its unit tests
	perl python3
	# make bench's plot
	gnuplot-nox
	# cross-compile checks of the selftests
	gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu libc6-dev-arm64-cross libc6-dev-riscv64-cross
)

ensure_packages deps "${PACKAGES[@]}"
