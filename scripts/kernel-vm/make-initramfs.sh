#!/usr/bin/env bash
# Builds the initramfs that a kernel VM boots, and prints its path: busybox
# (static) as /init's shell, the host's node and the tools the lab calls (ip,
# ethtool, bpftool) with their libraries, the kernel's modules the lab needs
# (veth; tls and its cipher), and the project's runtime (dist/, the native addon, the production
# node_modules) under /opt/zerocopy-lab.
#
#   scripts/kernel-vm/make-initramfs.sh --kernel debian-6.1-cloud
#   scripts/kernel-vm/make-initramfs.sh --kernel-dir DIR    (a directory fetch-kernel.sh printed)
#
# The image is a concatenation of three compressed cpio archives, each cached
# under a key of what went into it, so a rebuild after a project change only
# packs the project again:
#   base     busybox, node, host tools, their libraries, /init   (changes with the host)
#   modules  the kernel's modules and their dependencies          (changes with the kernel)
#   app      the project's runtime                                (changes with every build)
# Environment:
#   ZCL_VM_MODULES     modules to load at boot, default "veth tls gcm ctr ghash_generic" (dependencies are added)
#   ZCL_VM_EXTRA_BINS  more host programs to copy in, with their libraries (e.g. "bpftrace tc")
#   ZCL_VM_EXTRA_PATHS more project paths (relative to the project) to copy in
#   ZCL_VM_COMPRESS    lz4 (default: the fastest to unpack under TCG that is not
#                      twice the size), gzip, or none
#   ZCL_VM_CACHE       where parts and images are kept (default: beside the kernel cache)
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
APP_DIR=opt/zerocopy-lab # inside the image
# veth for the veth paths; tls for the ktls-* modes, with what its AES-GCM needs
# as modules on Debian's kernels (gcm, ctr, ghash-generic; AES is built in).
# No aesni-intel: the generic cipher is synchronous, so kTLS encrypts in the
# sender's own send call (an async cipher would defer records to a kworker).
MODULES=${ZCL_VM_MODULES:-veth tls gcm ctr ghash_generic}
# Tools the lab runs (server/run/netpath.ts, the probe host), and bash; left out with a note if absent.
TOOLS=(ip ethtool bpftool bash)
read -r -a EXTRA_BINS <<<"${ZCL_VM_EXTRA_BINS:-}"
read -r -a EXTRA_PATHS <<<"${ZCL_VM_EXTRA_PATHS:-}"
COMPRESS=${ZCL_VM_COMPRESS:-lz4}
KEEP_IMAGES=4 # per kind of cached file; older ones are deleted

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# ---- helpers -------------------------------------------------------------------

# The path a file has inside the image. The image is merged-/usr like Debian 12
# (/lib -> usr/lib, ...): the base archive holds those symlinks and the later
# archives must name the real directories, because the kernel's cpio unpacker
# replaces a symlink with a directory of the same name.
usr_path() {
  case "$1" in
    /lib/* | /lib64/* | /bin/* | /sbin/*) echo "/usr$1" ;;
    *) echo "$1" ;;
  esac
}

# The shared libraries a dynamic executable or library loads (absolute paths).
libs_of() {
  ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true
}

# "path size mtime" of each file, for cache keys: a changed file changes the key.
stat_lines() {
  [ $# -gt 0 ] || return 0
  stat -L -c '%n %s %Y' "$@"
}

key_of() { sha256sum | cut -c1-16; }

# copy_file SRC STAGE: SRC (dereferenced) to the same path in the image.
copy_file() {
  local dest
  dest="$2$(usr_path "$1")"
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  cp -L "$1" "$dest"
}

# copy_program SRC STAGE: an executable and every library it loads.
copy_program() {
  local lib
  copy_file "$1" "$2"
  for lib in $(libs_of "$1"); do copy_file "$lib" "$2"; done
}

# The host programs that go into the base: node, the lab's tools, the extras.
host_programs() {
  local t p
  command -v node >/dev/null || die "node is not installed (Node.js 20 or newer is needed)"
  readlink -f "$(command -v node)"
  for t in "${TOOLS[@]}" "${EXTRA_BINS[@]}"; do
    if p=$(command -v "$t"); then
      readlink -f "$p"
    else
      say "note: '$t' is not on this machine; the VM will not have it"
    fi
  done
}

# The kernel unpacks a concatenation of compressed archives. Measured under TCG
# (6.1 cloud, 110 MB image): none 4.3 s to the command, lz4 4.9 s, gzip 5.8 s.
# lz4 must be the legacy format (-l), the only one the kernel reads.
compress() {
  case "$COMPRESS" in
    lz4) lz4 -l -1 -q -c ;;
    gzip) gzip -1 -n ;;
    none) cat ;;
  esac
}

# pack STAGE OUT: a compressed newc cpio of STAGE's contents, owned by root.
# Written next to OUT and renamed, so an interrupted build leaves no half file.
pack() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
    compress >"$2.tmp.$$"
  mv "$2.tmp.$$" "$2"
}

# Keeps the newest KEEP_IMAGES files matching a glob in a directory.
prune() {
  local dir=$1 pattern=$2
  # shellcheck disable=SC2012,SC2086 # our own file names (no spaces); the pattern must glob
  ls -1t "$dir"/$pattern 2>/dev/null | tail -n +$((KEEP_IMAGES + 1)) | xargs -r rm -f
}

# ---- the three parts -----------------------------------------------------------

# The /init script: written here so that the base's key covers it.
write_init() {
  cat >"$1/init" <<'INIT'
#!/usr/bin/busybox sh
# /init of a zerocopy-lab kernel VM (scripts/kernel-vm/make-initramfs.sh).
# Mounts the kernel's filesystems, loads the lab's modules, runs the command given
# on the kernel command line (zcl.cmd=<base64 of a sh script>, zcl.nonce=<marker
# tag>, zcl.timeout=<seconds>) or in /etc/zcl-vm/command.sh between markers on
# the serial console, and powers off. Without a command: a shell on the console
# (scripts/kernel-vm/run.sh).
# init itself runs in busybox's shell; the command runs in the host's /bin/sh
# (dash), because Debian's busybox shell runs its own applets (ip, ...) in
# preference to the programs on PATH.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/usr/libexec/busybox
export HOME=/root
bb=/usr/bin/busybox
set -f # the command line is split into words below; no globbing

mnt() {
  $bb mkdir -p "$3"
  $bb mount -t "$1" "$2" "$3" 2>/dev/null || echo "zcl-init: warning: cannot mount $1 on $3"
}
mnt proc proc /proc
mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
mnt devpts devpts /dev/pts
mnt tmpfs shm /dev/shm
mnt tmpfs run /run
mnt tmpfs tmp /tmp
mnt tracefs tracefs /sys/kernel/tracing
mnt debugfs debugfs /sys/kernel/debug
mnt bpf bpf /sys/fs/bpf
mnt cgroup2 cgroup2 /sys/fs/cgroup
$bb hostname zcl-vm
# A guest that locks up (CI once saw both vCPUs stuck for 13 minutes) panics and
# ends the VM at once, every CPU's stack on the console (panic turns the console
# verbose), instead of idling until the host's timeout. 60 s of threshold (a
# lockup is reported after 120 s) leaves room for a TCG guest starved by a busy host.
echo 60 >/proc/sys/kernel/watchdog_thresh 2>/dev/null || true
echo 1 >/proc/sys/kernel/softlockup_panic 2>/dev/null || true
echo 64 >/proc/sys/kernel/panic_print 2>/dev/null || true
# The probes' syscall programs stay attached from load to close (not armed per
# run): each attach patches kernel text, and under TCG a vCPU can execute the
# stale int3 of a finished patch (seen: "Oops: int3" in syscall_trace_enter).
export ZCL_PROBES_SYSCALLS_ALWAYS=1
$bb ip link set lo up

release=$($bb uname -r)
[ -d "/lib/modules/$release" ] || echo "zcl-init: warning: no modules for $release in this image (built for another kernel?)"
if [ -f /etc/zcl-vm/modules ]; then
  while read -r m; do
    $bb insmod "/lib/modules/$release/$m" || echo "zcl-init: warning: insmod $m failed"
  done </etc/zcl-vm/modules
fi

cmd='' nonce=none timeout=0
for w in $($bb cat /proc/cmdline); do
  case "$w" in
    zcl.cmd=*) cmd=${w#zcl.cmd=} ;;
    zcl.nonce=*) nonce=${w#zcl.nonce=} ;;
    zcl.timeout=*) timeout=${w#zcl.timeout=} ;;
  esac
done
if [ -n "$cmd" ]; then
  echo "$cmd" | $bb base64 -d >/run/zcl-cmd.sh || echo 'echo "zcl-init: zcl.cmd is not valid base64"; exit 125' >/run/zcl-cmd.sh
elif [ -f /etc/zcl-vm/command.sh ]; then
  $bb cp /etc/zcl-vm/command.sh /run/zcl-cmd.sh
else
  echo "zcl-init: no command given; a shell (exit it to power off)"
  shell=/usr/bin/bash
  [ -x $shell ] || shell=/usr/bin/sh
  $bb setsid $bb cttyhack $shell -l
  $bb poweroff -f
fi

cd /opt/zerocopy-lab || exit 1
# Quiet console while the command runs: kernel messages must not land inside
# its output. Warnings logged meanwhile are printed after the end marker.
read -r printk_levels </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk
$bb dmesg -c >/dev/null
printf '\nZCL-VM-BEGIN %s uptime=%s release=%s\n' "$nonce" "$($bb cut -d' ' -f1 /proc/uptime)" "$release"
# Through a pipe, not the console: the command sees no terminal (no progress bars).
# The guest enforces the timeout too, so a VM whose host process died still ends.
if [ "$timeout" -gt 0 ] 2>/dev/null; then run="$bb timeout -s KILL $timeout"; else run=''; fi
( $run /usr/bin/sh /run/zcl-cmd.sh; echo $? >/run/zcl-rc ) </dev/null 2>&1 | $bb cat
rc=$($bb cat /run/zcl-rc 2>/dev/null || echo 255)
printf '\nZCL-VM-END %s exit=%s\n' "$nonce" "$rc"
echo "$printk_levels" >/proc/sys/kernel/printk
$bb dmesg -r | $bb grep '^<[0-4]>' | $bb sed 's/^/zcl-init: kernel: /'
$bb sync
$bb poweroff -f
# If poweroff fails, init ends: with panic=-1 the kernel resets and qemu (-no-reboot) exits.
INIT
  chmod 755 "$1/init"
}

# base STAGE: busybox, node, the host tools, libraries, /init, /etc.
build_base() {
  local s=$1 bb p a
  bb=$(busybox_path)
  mkdir -p "$s"/usr/{bin,sbin,lib,lib64,libexec/busybox} "$s"/{proc,sys,dev,run,root,etc/zcl-vm,var/lib,opt}
  mkdir -m 1777 "$s/tmp"
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$s/$d"; done
  ln -s ../run "$s/var/run"
  cp "$bb" "$s/usr/bin/busybox"
  # Every applet in its own directory, last on PATH: the host's tools win.
  for a in $("$bb" --list); do ln -s ../../bin/busybox "$s/usr/libexec/busybox/$a"; done
  # /bin/sh is the host's (dash on Debian); the kernel's request_module runs /sbin/modprobe.
  copy_program "$(readlink -f /bin/sh)" "$s"
  [ -e "$s/usr/bin/sh" ] || ln -s "$(basename "$(readlink -f /bin/sh)")" "$s/usr/bin/sh"
  ln -s ../bin/busybox "$s/usr/sbin/modprobe"
  while read -r p; do copy_program "$p" "$s"; done < <(host_programs)
  # Debian's node carries its debug info (13 MB); the image need not.
  if command -v strip >/dev/null; then
    strip "$s$(usr_path "$(readlink -f "$(command -v node)")")" || say "note: strip failed; node goes in unstripped"
  fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$s/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$s/etc/group"
  printf '127.0.0.1 localhost zcl-vm\n::1 localhost\n' >"$s/etc/hosts"
  write_init "$s"
}

base_key() {
  local p
  {
    sha256sum "$0" "$HERE/lib.sh"
    echo "$COMPRESS"
    stat_lines "$(busybox_path)" "$(readlink -f /bin/sh)"
    while read -r p; do
      stat_lines "$p"
      # shellcheck disable=SC2046 # one path per word
      stat_lines $(libs_of "$p")
    done < <(host_programs 2>/dev/null)
  } | key_of
}

# The modules to load, dependencies first, as paths relative to lib/modules/REL.
module_order() {
  local kdir=$1 rel=$2 m
  for m in $MODULES; do
    if grep -qE "/${m//[-_]/[-_]}\.ko$" "$kdir/lib/modules/$rel/modules.builtin" 2>/dev/null; then
      say "note: $m is built into $rel"
    fi
  done
  awk -v want="$MODULES" '
    function name(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p); gsub(/-/, "_", p); return p }
    function visit(p,   d, n, i) {
      if (p in seen) return
      seen[p] = 1
      n = split(deps[p], d, " ")
      for (i = 1; i <= n; i++) visit(d[i])
      print p
    }
    { k = $1; sub(/:$/, "", k); $1 = ""; deps[k] = $0; byname[name(k)] = k }
    END {
      n = split(want, w, " ")
      for (i = 1; i <= n; i++) {
        m = w[i]; gsub(/-/, "_", m)
        if (m in byname) visit(byname[m])
        else if (system("grep -qE \"/" m "\\.ko$\" " builtin) != 0) print "MISSING " w[i]
      }
    }' builtin="$kdir/lib/modules/$rel/modules.builtin" "$kdir/lib/modules/$rel/modules.dep"
}

# modules STAGE KDIR REL: the modules, decompressed (busybox insmod cannot
# decompress), their own modules.dep (the kernel's request_module runs
# /sbin/modprobe), and /etc/zcl-vm/modules, the load order for /init.
build_modules() {
  local s=$1 kdir=$2 rel=$3 order m src dest
  order=$(module_order "$kdir" "$rel")
  if grep -q '^MISSING ' <<<"$order"; then
    die "kernel $rel has no module $(grep '^MISSING ' <<<"$order" | cut -d' ' -f2 | xargs) (ZCL_VM_MODULES=\"$MODULES\")"
  fi
  local mdir="$s/usr/lib/modules/$rel"
  mkdir -p "$mdir" "$s/etc/zcl-vm"
  cp "$kdir/lib/modules/$rel"/modules.{builtin,builtin.modinfo,order} "$mdir/" 2>/dev/null || true
  : >"$s/etc/zcl-vm/modules"
  for m in $order; do
    src="$kdir/lib/modules/$rel/$m"
    dest="$mdir/${m%.*}"
    mkdir -p "$(dirname "$dest")"
    case "$m" in
      *.ko) dest="$mdir/$m"; cp "$src" "$dest" ;;
      *.ko.xz) "$(busybox_path)" xzcat "$src" >"$dest" ;;
      *.ko.gz) gzip -dc "$src" >"$dest" ;;
      *.ko.zst) need zstd zstd; zstd -q -dc "$src" >"$dest" ;;
      *) die "unexpected module file $m" ;;
    esac
    echo "${dest#"$mdir/"}" >>"$s/etc/zcl-vm/modules"
  done
  "$(busybox_path)" depmod -b "$s/usr" "$rel"
}

modules_key() {
  { echo "$MODULES $COMPRESS"; cat "$KDIR/kernel.env"; sha256sum "$0"; } | key_of
}

# The installed production dependencies, as paths relative to the project
# (package-lock.json marks dev-only packages; reading it is faster than npm ls).
prod_node_modules() {
  (cd "$PROJECT" && node -e '
    const fs = require("node:fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    for (const [p, e] of Object.entries(lock.packages ?? {}))
      if (p && !e.dev && !e.link && fs.existsSync(p)) console.log(p);
  ')
}

# What of the project goes into the image, relative to the project.
app_paths() {
  local p
  (
    cd "$PROJECT"
    [ -f package.json ] || die "$PROJECT has no package.json"
    [ -d dist ] || die "the project is not built ($PROJECT/dist is missing): run npm run build"
    compgen -G 'build/Release/*.node' >/dev/null || die "the native addon is not built ($PROJECT/build/Release/*.node is missing): run npm run build"
    echo package.json
    echo dist
    # report.html embeds the page's translator as it is (server/report/write-html.ts)
    echo dashboard/lib/translate.js
    ls build/Release/*.node
    # eBPF objects and bpftrace scripts, wherever the build puts them.
    find bpf build -type f \( -name '*.bpf.o' -o -name '*.bt' \) 2>/dev/null || true
    for p in "${EXTRA_PATHS[@]}"; do
      [ -e "$p" ] || die "ZCL_VM_EXTRA_PATHS: $p does not exist in $PROJECT"
      echo "$p"
    done
  )
  if [ -f "$PROJECT/package-lock.json" ]; then
    prod_node_modules
  else
    (cd "$PROJECT" && npm ls --omit=dev --parseable --all 2>/dev/null | tail -n +2 | sed "s|^$PROJECT/||")
  fi
}

# Files node never loads: types, sources, maps, docs. Keeps the image small.
APP_EXCLUDES=(--exclude='*.ts' --exclude='*.mts' --exclude='*.cts' --exclude='*.map' --exclude='*.md' --exclude='obj.target')

# app STAGE: the project under /opt/zerocopy-lab, and the libraries its native addons load.
build_app() {
  local s=$1 addon lib node_libs
  mkdir -p "$s/$APP_DIR"
  app_paths | tar -C "$PROJECT" -cf - "${APP_EXCLUDES[@]}" -T - | tar -C "$s/$APP_DIR" -xf -
  node_libs=$(libs_of "$(readlink -f "$(command -v node)")")
  for addon in "$s/$APP_DIR"/build/Release/*.node; do
    for lib in $(libs_of "$addon"); do
      # The base has node's libraries (libc, libstdc++); the others come here.
      grep -qxF "$lib" <<<"$node_libs" || copy_file "$lib" "$s"
    done
  done
}

app_key() {
  local p
  {
    sha256sum "$0"
    echo "$COMPRESS"
    cd "$PROJECT"
    app_paths | while read -r p; do find "$p" -type f -printf '%p %s %T@\n'; done | LC_ALL=C sort
  } | key_of
}

# part KIND KEY BUILDER: sets PART to the cached archive for KEY, built if
# missing. Not run in a $(...) subshell, so that the EXIT trap sees its stage.
part() {
  local kind=$1 key=$2 out stage
  shift 2
  out="$VM_CACHE/parts/$kind-$key.cpio.$COMPRESS"
  if [ ! -f "$out" ]; then
    stage=$(mktemp -d "$VM_CACHE/.stage.XXXXXX")
    STAGES+=("$stage")
    say "packing the $kind part"
    "$@" "$stage"
    pack "$stage" "$out"
    rm -rf "$stage"
    prune "$VM_CACHE/parts" "$kind-*.cpio.*"
  fi
  touch "$out"
  PART=$out
}

build_modules_for() { build_modules "$1" "$KDIR" "$KREL"; }

main() {
  local kernel='' out='' base mods app image key bkey mkey akey
  while [ $# -gt 0 ]; do
    case "$1" in
      --kernel) kernel=$2; shift 2 ;;
      --kernel-dir) KDIR=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  need cpio cpio
  case "$COMPRESS" in
    lz4) need lz4 lz4 ;;
    gzip) need gzip gzip ;;
    none) ;;
    *) die "ZCL_VM_COMPRESS is lz4, gzip or none, not '$COMPRESS'" ;;
  esac
  need ldd libc-bin
  busybox_path >/dev/null
  if [ -z "${KDIR:-}" ]; then
    [ -n "$kernel" ] || { usage >&2; exit 2; }
    KDIR=$("$HERE/fetch-kernel.sh" "$kernel")
  fi
  [ -f "$KDIR/kernel.env" ] || die "$KDIR is not a kernel directory made by fetch-kernel.sh (no kernel.env)"
  KREL=$(sed -n "s/^ZCL_KERNEL_RELEASE='\(.*\)'$/\1/p" "$KDIR/kernel.env")

  lock_dir "$VM_CACHE"
  mkdir -p "$VM_CACHE/parts" "$VM_CACHE/images"
  # Under the lock nobody else is building: anything half-made was left by a killed run.
  rm -rf "$VM_CACHE"/.stage.* "$VM_CACHE"/parts/*.tmp.* "$VM_CACHE"/images/*.tmp.*
  STAGES=()
  trap 'rm -rf "${STAGES[@]}" "$VM_CACHE"/parts/*.tmp.$$ "$VM_CACHE"/images/*.tmp.$$' EXIT

  # Keys first, as assignments: a failure inside them stops the script.
  app_paths >/dev/null
  bkey=$(base_key)
  mkey=$(modules_key)
  akey=$(app_key)
  part base "$bkey" build_base
  base=$PART
  part "modules-$KREL" "$mkey" build_modules_for
  mods=$PART
  part app "$akey" build_app
  app=$PART

  key=$(printf '%s\n' "$base" "$mods" "$app" | key_of)
  image=${out:-$VM_CACHE/images/initramfs-$KREL-$key.cpio.$COMPRESS}
  if [ -n "$out" ] || [ ! -f "$image" ]; then
    cat "$base" "$mods" "$app" >"$image.tmp.$$"
    mv "$image.tmp.$$" "$image"
    [ -n "$out" ] || prune "$VM_CACHE/images" "initramfs-*.cpio.*"
  fi
  touch "$image"
  echo "$image"
}

main "$@"
