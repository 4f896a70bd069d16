#!/usr/bin/env bash
# Builds the VM lab's "box" once: Debian 12 from Debian's packages (debootstrap),
# systemd as init, Debian's stock kernel (linux-image-amd64, 6.1), DHCP on the
# first NIC (systemd-networkd + resolved), and a first-boot unit that does what the
# Vagrantfile's provisioner does (`cd /vagrant && scripts/setup.sh &&
# deploy/install-service.sh /vagrant`) with the project on a second disk at /vagrant.
# No Node, no build tools: like debian/bookworm64, setup.sh must install them.
# Prints the box directory: root.raw (ext4 image), vmlinuz, initrd.img.
#
#   scripts/vm-lab/make-box.sh      cache: $ZCL_VM_LAB_CACHE, default /var/cache/zerocopy-lab/vm-lab
#
# The kernel and initrd are booted directly (qemu -kernel/-initrd): grub is the one
# part of a real box left out. The image is made with mke2fs -d (no loop device).
set -euo pipefail

CACHE=${ZCL_VM_LAB_CACHE:-/var/cache/zerocopy-lab/vm-lab}
BOX_VERSION=1
box="$CACHE/box-bookworm-v$BOX_VERSION"
PACKAGES=systemd-sysv,udev,dbus,systemd-resolved,linux-image-amd64,initramfs-tools,kmod,ca-certificates,iproute2,procps,sudo,less
t0=$(date +%s)
say() { printf 'make-box: [%4ss] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }
die() { printf 'make-box: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root"
for c in debootstrap mke2fs chroot findmnt; do command -v "$c" >/dev/null || die "'$c' is not installed"; done
mkdir -p "$CACHE/debs"
exec 9>"$CACHE/.lock"
flock 9
if [ -f "$box/root.raw" ] && [ -f "$box/vmlinuz" ] && [ -f "$box/initrd.img" ]; then
  echo "$box"
  exit 0
fi

dir=$(mktemp -d /var/tmp/zcl-vm-box.XXXXXX)
cleanup() {
  local rc=$? m
  trap - EXIT
  for _ in 1 2 3; do
    while read -r m; do [ -n "$m" ] && { umount "$m" 2>/dev/null || umount -l "$m" || true; }; done < <(findmnt -rn -o TARGET | awk -v p="$dir" 'index($0, p) == 1' | sort -r)
  done
  if findmnt -rn -o TARGET | awk -v p="$dir" 'index($0, p) == 1' | grep -q .; then
    echo "make-box: error: still mounted under $dir: not removed" >&2
    exit 1
  fi
  rm -rf --one-file-system "$dir" "$box.tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

say "debootstrap bookworm (minbase + $PACKAGES)"
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE/debs" bookworm "$dir" >"$CACHE/debootstrap.log" 2>&1 ||
  die "debootstrap failed (its log: $CACHE/debootstrap.log)"
say "debootstrap done"

# Reach the registries the way this machine does (its apt sources and settings, its CAs);
# on a user's machine the box's own sources would do.
rm -f "$dir/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/apt/sources.list.d/*.list "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
for f in /etc/apt/apt.conf.d/*; do grep -q -- '-Invoke' "$f" || cp "$f" "$dir/etc/apt/apt.conf.d/"; done
cp -r /usr/local/share/ca-certificates/. "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
mount -t proc proc "$dir/proc"
chroot "$dir" update-ca-certificates >/dev/null 2>&1
# npm (the distribution's, then the one setup.sh installs) trusts the system's CAs.
mkdir -p "$dir/usr/local/etc"
echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$dir/etc/npmrc"
echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$dir/usr/local/etc/npmrc"
umount "$dir/proc"

echo zerocopy-lab >"$dir/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 zerocopy-lab\n' >"$dir/etc/hosts"
printf 'LABEL=root / ext4 defaults 0 1\nLABEL=vagrant /vagrant ext4 defaults,nofail 0 2\n' >"$dir/etc/fstab"
mkdir -p "$dir/vagrant"
printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' >"$dir/etc/systemd/network/80-dhcp.network"
ln -sf /run/systemd/resolve/stub-resolv.conf "$dir/etc/resolv.conf"
chroot "$dir" systemctl enable --quiet systemd-networkd systemd-resolved systemd-networkd-wait-online.service
chroot "$dir" passwd -d root >/dev/null # console login without a password (a local VM)

# The provisioner: what `vagrant up` runs once, as root, over ssh; here a first-boot unit
# whose output goes to the serial console, ending in a line the host waits for.
cat >"$dir/usr/local/sbin/zcl-provision" <<'EOF'
#!/bin/bash
# What the Vagrantfile's provisioner runs, then a line for the host on the console.
t0=$(date +%s)
( set -e; cd /vagrant; scripts/setup.sh; deploy/install-service.sh /vagrant )
rc=$?
[ $rc = 0 ] && touch /var/lib/zcl-provisioned
echo "zcl-provision: done rc=$rc in $(($(date +%s) - t0)) s url=$(cat /var/lib/zerocopy-lab/dashboard-url 2>/dev/null)" >/dev/ttyS0
exit $rc
EOF
chmod +x "$dir/usr/local/sbin/zcl-provision"
cat >"$dir/etc/systemd/system/zcl-provision.service" <<'EOF'
[Unit]
Description=zerocopy-lab provisioning (what vagrant up runs: scripts/setup.sh, deploy/install-service.sh)
After=network-online.target vagrant.mount
Wants=network-online.target
RequiresMountsFor=/vagrant
ConditionPathExists=!/var/lib/zcl-provisioned

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/zcl-provision
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
chroot "$dir" systemctl enable --quiet zcl-provision.service
# Each boot says so on the console (the host counts boots).
cat >"$dir/etc/systemd/system/zcl-booted.service" <<'EOF'
[Unit]
Description=tell the host this boot reached multi-user
After=multi-user.target zerocopy-lab.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "zcl-booted: $(cat /proc/sys/kernel/random/boot_id) kernel $(uname -r)" >/dev/ttyS0'

[Install]
WantedBy=multi-user.target
EOF
chroot "$dir" systemctl enable --quiet zcl-booted.service

mkdir -p "$box.tmp"
cp "$(readlink -f "$dir/vmlinuz")" "$box.tmp/vmlinuz"
cp "$(readlink -f "$dir/initrd.img")" "$box.tmp/initrd.img"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
say "making the 16 GiB ext4 image (sparse)"
mke2fs -q -t ext4 -L root -d "$dir" "$box.tmp/root.raw" 16G
rm -rf "$box" && mv "$box.tmp" "$box"
say "box ready: $box"
echo "$box"
