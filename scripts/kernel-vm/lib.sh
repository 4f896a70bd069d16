# Shared by the kernel-vm scripts (sourced, not run): messages, required
# commands, the cache locations and the lock that serialises builds in them.
# shellcheck shell=bash

KVM_SCRIPT_NAME=$(basename "$0" .sh)
KERNEL_CACHE=${ZCL_KERNEL_CACHE:-/var/cache/zerocopy-lab/kernels}
# shellcheck disable=SC2034 # used by the scripts that source this
# Initramfs parts and images; beside the kernels unless told otherwise.
VM_CACHE=${ZCL_VM_CACHE:-$(dirname "$KERNEL_CACHE")/vm-images}

# A TERM or INT ends the script through its EXIT trap, which removes its temp files.
trap 'exit 143' TERM
trap 'exit 130' INT

say() { printf '%s: %s\n' "$KVM_SCRIPT_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$KVM_SCRIPT_NAME" "$*" >&2; exit 1; }

# need COMMAND PACKAGE: fails naming the Debian package that provides COMMAND.
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (Debian package: $2; apt-get install $2)"
}

# Finds busybox: the static one is what goes into the VM (it has no libraries to copy).
busybox_path() {
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
      echo "$b"
      return 0
    fi
  done
  die "a static busybox is not installed (Debian package: busybox-static; apt-get install busybox-static)"
}

# Holds an exclusive lock on DIR/.lock for the rest of the script (fd 9), so that
# two test workers building the same image do not write the same files.
lock_dir() {
  mkdir -p "$1" || die "cannot create $1 (set ZCL_KERNEL_CACHE / ZCL_VM_CACHE to a writable directory)"
  exec 9>"$1/.lock"
  need flock util-linux
  flock 9
}
