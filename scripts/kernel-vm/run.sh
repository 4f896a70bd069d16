#!/usr/bin/env bash
# Boots a Debian kernel with the project's image, by hand: a shell on the serial
# console, or one command whose exit code becomes this script's. The tests do the
# same through server/run/kernel-vm.ts (test/kernels/, zcl report --kernel).
#
#   scripts/kernel-vm/run.sh debian-6.1-cloud                  a shell; exit it to power off
#   scripts/kernel-vm/run.sh debian-6.12-cloud -- uname -r     one command, in /opt/zerocopy-lab
#   ZCL_VM_ACCEL=tcg scripts/kernel-vm/run.sh ...              no KVM even if usable
#   ZCL_VM_DEBUG=1 scripts/kernel-vm/run.sh ...                every kernel message
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# KVM only with hardware virtualization: a /dev/kvm without vmx/svm in the CPU
# flags is a software hypervisor (kvm-pvm) that stock kernels barely run on.
accel_args() {
  local accel=${ZCL_VM_ACCEL:-auto}
  if [ "$accel" = auto ]; then
    accel=tcg
    if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
  fi
  case "$accel" in
    kvm) echo "-accel kvm -cpu host" ;;
    tcg) echo "-accel tcg -cpu max" ;;
    *) die "ZCL_VM_ACCEL is kvm, tcg or auto, not '$accel'" ;;
  esac
}

# The command as a sh script, each word single-quoted.
command_script() {
  local word script=exec q="'\\''"
  for word in "$@"; do script+=" '${word//\'/$q}'"; done
  printf '%s\n' "$script"
}

main() {
  local name=${1:-} kdir image append nonce accel=()
  case "$name" in -h | --help) usage; exit 0 ;; '') usage >&2; exit 2 ;; esac
  shift
  if [ "${1:-}" = -- ]; then shift; fi
  need qemu-system-x86_64 qemu-system-x86
  kdir=$("$HERE/fetch-kernel.sh" "$name")
  image=$("$HERE/make-initramfs.sh" --kernel-dir "$kdir")
  # shellcheck source=/dev/null
  . "$kdir/kernel.env"
  read -r -a accel <<<"$(accel_args)"
  append="console=ttyS0 panic=-1"
  [ -n "${ZCL_VM_DEBUG:-}" ] || append+=" quiet"
  say "booting $ZCL_KERNEL_PACKAGE (${accel[*]})"
  local qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
    -m 2048 -smp 2 "${accel[@]}" -kernel "$kdir/$ZCL_KERNEL_VMLINUZ" -initrd "$image")
  if [ $# -eq 0 ]; then
    # Interactive: Ctrl-A X leaves qemu.
    exec "${qemu[@]}" -serial mon:stdio -append "$append"
  fi
  nonce=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  append+=" zcl.nonce=$nonce zcl.cmd=$(command_script "$@" | base64 -w0)"
  "${qemu[@]}" -serial stdio -append "$append" </dev/null | tr -d '\r' |
    awk -v tag="$nonce" '
      { print; fflush() }
      $1 == "ZCL-VM-END" && $2 == tag { sub(/^exit=/, "", $3); rc = $3 }
      END { if (rc == "") { print "run: the VM ended without finishing the command" > "/dev/stderr"; exit 124 } exit rc }'
}

main "$@"
