#!/usr/bin/env bash
# Downloads a Debian distribution kernel with apt and unpacks it into the kernel
# cache, once; prints the kernel's directory. The VM tests boot these kernels
# because the function-probe tier (fentry/fexit, kprobes) cannot run on the
# development machines' own kernel.
#
#   scripts/kernel-vm/fetch-kernel.sh debian-6.1-cloud
#   scripts/kernel-vm/fetch-kernel.sh linux-image-6.1.0-56-cloud-amd64   (an exact package)
#   scripts/kernel-vm/fetch-kernel.sh --help
#
# The directory holds boot/vmlinuz-*, lib/modules/<release>/ (with a modules.dep,
# which Debian's package leaves to its postinst) and kernel.env (what was fetched).
# Cache: $ZCL_KERNEL_CACHE, default /var/cache/zerocopy-lab/kernels.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

# Name -> extended regex of the apt package; the newest match wins.
# 6.12 comes to Debian 12 through bookworm-security (linux-image-6.12.N+deb12-*).
declare -A FLAVOURS=(
  [debian-6.1-cloud]='^linux-image-6\.1\.0-[0-9]+-cloud-amd64$'
  [debian-6.1]='^linux-image-6\.1\.0-[0-9]+-amd64$'
  [debian-6.12-cloud]='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64$'
  [debian-6.12]='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64$'
)

# All kernel image packages apt offers (names only; the package lists are local).
apt_kernel_packages() {
  apt-cache search --names-only '^linux-image-[0-9]' | cut -d' ' -f1
}

newest_matching() {
  apt_kernel_packages | grep -E "$1" | sort -V | tail -n 1 || true
}

usage() {
  local name pkg
  cat <<'EOF'
usage: fetch-kernel.sh NAME | linux-image-PACKAGE

Downloads (apt-get download) and unpacks a Debian kernel into the cache
($ZCL_KERNEL_CACHE, default /var/cache/zerocopy-lab/kernels) unless it is there
already, and prints its directory. NAME picks the newest package apt offers:

EOF
  for name in $(printf '%s\n' "${!FLAVOURS[@]}" | sort -V); do
    pkg=$(newest_matching "${FLAVOURS[$name]}")
    printf '  %-18s %s\n' "$name" "${pkg:-(apt offers none: run apt-get update)}"
  done
  printf '\nAn exact package name (linux-image-...-amd64) pins one version.\n'
}

# The newest already-unpacked kernel whose package matches REGEX (for offline runs).
cached_matching() {
  local d best=
  for d in "$KERNEL_CACHE"/*/kernel.env; do
    [ -f "$d" ] || continue
    d=$(dirname "$d")
    basename "$d" | cut -d_ -f1 | grep -qE "$1" && best+="$d"$'\n'
  done
  printf '%s' "$best" | sort -V | tail -n 1
}

# download PACKAGE DIR: the .deb into DIR. apt drops to the _apt user for the
# download, so DIR is handed to it (else apt warns and downloads as root).
download() {
  if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown _apt "$2"; fi
  (cd "$2" && apt-get download -q=2 "$1")
}

# unpack DEB NAME PACKAGE VERSION DEST: extracts, writes modules.dep and kernel.env.
unpack() {
  local deb=$1 name=$2 pkg=$3 version=$4 dest=$5 stage release vmlinuz
  stage="$dest.tmp.$$"
  rm -rf "$stage"
  dpkg-deb -x "$deb" "$stage"
  rm -rf "${stage:?}/usr/share"
  local images=("$stage"/boot/vmlinuz-*)
  [ -f "${images[0]}" ] || die "$pkg has no boot/vmlinuz-*: is it a kernel image package?"
  vmlinuz=boot/$(basename "${images[0]}")
  release=${vmlinuz#boot/vmlinuz-}
  [ -d "$stage/lib/modules/$release" ] || die "$pkg has no lib/modules/$release"
  # Debian's postinst runs depmod; busybox's depmod does the same here (kmod not needed).
  "$(busybox_path)" depmod -b "$stage" "$release"
  cat >"$stage/kernel.env" <<EOF
ZCL_KERNEL_NAME='$name'
ZCL_KERNEL_PACKAGE='$pkg'
ZCL_KERNEL_VERSION='$version'
ZCL_KERNEL_RELEASE='$release'
ZCL_KERNEL_VMLINUZ='$vmlinuz'
EOF
  mv "$stage" "$dest"
}

main() {
  local name=${1:-} regex pkg version dest tmp fallback
  case "$name" in
    -h | --help) usage; exit 0 ;;
    '') usage >&2; exit 2 ;;
    linux-image-*) regex="^${name//./\\.}\$" ;;
    *)
      [ -n "${FLAVOURS[$name]+x}" ] || die "unknown kernel name '$name'; supported: $(printf '%s ' "${!FLAVOURS[@]}" | xargs -n1 | sort -V | xargs), or an exact linux-image-... package"
      regex=${FLAVOURS[$name]}
      ;;
  esac
  need apt-cache apt
  need dpkg-deb dpkg
  busybox_path >/dev/null
  lock_dir "$KERNEL_CACHE"
  # Under the lock nobody else is fetching: anything half-made was left by a killed run.
  rm -rf "$KERNEL_CACHE"/.download.* "$KERNEL_CACHE"/*.tmp.*

  pkg=$(newest_matching "$regex")
  if [ -z "$pkg" ]; then
    fallback=$(cached_matching "$regex")
    [ -n "$fallback" ] || die "apt offers no package matching $regex for '$name' (apt-cache search --names-only '^linux-image-'); run apt-get update, and for the 6.12 kernels have bookworm-security in the apt sources"
    say "warning: apt offers no package for '$name'; using the cached $(basename "$fallback")"
    echo "$fallback"
    return 0
  fi
  version=$(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ { print $2; exit }')
  dest="$KERNEL_CACHE/${pkg}_${version}"
  if [ -f "$dest/kernel.env" ]; then
    echo "$dest"
    return 0
  fi

  tmp=$(mktemp -d "$KERNEL_CACHE/.download.XXXXXX")
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf '$tmp' '$dest.tmp.$$'" EXIT
  say "downloading $pkg $version"
  if ! download "$pkg" "$tmp" >&2; then
    fallback=$(cached_matching "$regex")
    [ -n "$fallback" ] || die "apt-get download $pkg failed (is the Debian mirror reachable?) and no kernel for '$name' is cached"
    say "warning: apt-get download $pkg failed; using the cached $(basename "$fallback")"
    echo "$fallback"
    return 0
  fi
  unpack "$(ls "$tmp"/*.deb)" "$name" "$pkg" "$version" "$dest"
  say "unpacked into $dest"
  echo "$dest"
}

main "$@"
