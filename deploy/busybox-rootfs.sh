#!/usr/bin/env bash
# Makes a minimal busybox root filesystem tarball from Debian's busybox-static:
# /bin/busybox and its applet links, /etc/passwd and /etc/group, empty /tmp,
# /proc, /sys, /dev. Deterministic (sorted, fixed mtime, numeric owner 0), so
# the same busybox always gives the same layer digest.
#   deploy/busybox-rootfs.sh OUT.tar
set -euo pipefail
umask 022 # modes in the tarball must not depend on the caller's umask
out=${1:?usage: busybox-rootfs.sh OUT.tar}
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,etc,tmp,proc,sys,dev,root,var/tmp}
chmod 0755 "$dir"
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
tar --sort=name --mtime='2020-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$out" .
