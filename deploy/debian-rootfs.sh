#!/usr/bin/env bash
# Makes a Debian root filesystem tarball for a real base image, from Debian's
# own packages with mmdebstrap (minbase variant: apt, dpkg, bash, coreutils,
# perl-base...), plus any packages named with --include. Import it with
# `berth image import OUT.tar debian:12` and build FROM it.
#   deploy/debian-rootfs.sh OUT.tar [--include PKG[,PKG...]] [--suite bookworm]
set -euo pipefail
umask 022 # modes in the tarball must not depend on the caller's umask
usage='usage: debian-rootfs.sh OUT.tar [--include PKG[,PKG...]] [--suite SUITE]'
out=${1:?$usage}
shift
include=''
suite=bookworm
while [ $# -gt 0 ]; do
  case $1 in
    --include) include=${2:?$usage}; shift 2 ;;
    --suite) suite=${2:?$usage}; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
case $out in *.tar) ;; *) echo "debian-rootfs: OUT must end in .tar" >&2; exit 2 ;; esac
if ! command -v mmdebstrap >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "debian-rootfs: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi
# The host's own Debian mirror (or proxy), as its apt sources name it; apt's lists and caches are left out of the image.
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}
# No device nodes: a container's /dev is the runtime's, and layers may not carry any. (Hooks must
# leave "$1"/dev alone: in root mode mmdebstrap bind-mounts the host's /dev/shm and /dev/pts there.)
mmdebstrap --quiet --variant=minbase --format=tar --skip=output/dev,output/mknod ${include:+--include="$include"} \
  --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
  "$suite" "$out" "deb $mirror $suite main" </dev/null
