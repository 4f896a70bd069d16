#!/usr/bin/env bash
# Writes down what each app really does: runs it under strace -f while a client
# fetches a file of SIZE bytes (default 16 MiB) over loopback, checks the body,
# and prints the summary of the byte-moving syscalls. How apps/GROUND-TRUTH.md
# was made; re-run it after a package upgrade.
#
#   apps/strace-ground-truth.sh [SIZE] [APP...]      (root or not; strace needed)
# The strace logs are left in $KEEP (if set), else in a temp dir that is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size=${1:-16777216}; shift || true
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(java-transferto java-stream netty-fileregion nginx-sendfile nginx-copy python-sendfile node-http)
work=$(mktemp -d /var/tmp/zcl-gt-XXXXXX)
trap 'rm -rf "$work"' EXIT
data="$work/data-$size.bin"
head -c "$size" /dev/urandom > "$data"
want=$(sha256sum "$data" | cut -d' ' -f1)
calls=trace=network,read,write,pread64,readv,writev,sendfile,splice,mmap,sendmsg,sendto,io_uring_enter
for app in "${apps[@]}"; do
  log="$work/$app.strace"
  coproc APP { exec strace -f -yy -e "$calls" -o "$log" "$here/run" "$app" 127.0.0.1 0 "$data"; }
  pid=$APP_PID
  read -r word port <&"${APP[0]}" || { echo "$app: did not start" >&2; exit 1; }
  [ "$word" = listening ] || { echo "$app: said '$word $port'" >&2; exit 1; }
  case "$app" in
    nginx-*|node-http)
      hdr="$work/$app.headers"
      got=$(curl -sS -D "$hdr" -w '%{size_download} %{size_header}' "http://127.0.0.1:$port/data" -o "$work/body")
      hash=$(sha256sum "$work/body" | cut -d' ' -f1)
      echo "== $app  body+headers: $got (curl)  body sha256 ok: $([ "$hash" = "$want" ] && echo yes || echo NO)"
      tr -d '\r' < "$hdr" | sed 's/^/   | /'
      rm -f "$work/body" ;;
    *)
      got=$(/usr/bin/python3 "$here/client.py" 127.0.0.1 "$port" --expect "$size")
      echo "== $app  $got  sha256 ok: $([ "${got##* }" = "$want" ] && echo yes || echo NO)" ;;
  esac
  wait "$pid" || echo "$app: exited $?" >&2
  /usr/bin/python3 "$here/strace-summary.py" "$log" "$data"
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$log" "$KEEP/"; fi
done
