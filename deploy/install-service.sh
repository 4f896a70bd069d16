#!/usr/bin/env bash
# Installs and starts the zerocopy-lab systemd unit (zcl serve on port 8080),
# with a token made once and kept, and writes the dashboard's URL (token
# included) to /var/lib/zerocopy-lab/dashboard-url. Idempotent.
#
#   deploy/install-service.sh [PROJECT_DIR]     default: this checkout
set -euo pipefail

root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
home=/var/lib/zerocopy-lab
unit=/etc/systemd/system/zerocopy-lab.service
say() { printf 'install-service: %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "install-service: needs root" >&2; exit 1; }
[ -f "$root/dist/server/cli/zcl.js" ] || { echo "install-service: $root is not built: run scripts/setup.sh first" >&2; exit 1; }
command -v systemctl >/dev/null || { echo "install-service: no systemd here" >&2; exit 1; }

mkdir -p "$home"
if [ ! -s "$home/serve.env" ]; then
  umask 077
  printf 'ZCL_TOKEN=%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" > "$home/serve.env"
  say "made a token in $home/serve.env"
fi
# The token is read by zcl serve from its environment (EnvironmentFile=), never from its
# command line; the file is root's alone.
chmod 600 "$home/serve.env"
# shellcheck disable=SC1091
. "$home/serve.env"
printf 'http://127.0.0.1:8080/?token=%s\n' "$ZCL_TOKEN" > "$home/dashboard-url"

new=$(sed -e "s#@ROOT@#$root#g" -e "s#@NODE@#$(command -v node)#g" "$(dirname "$0")/zerocopy-lab.service")
if [ -f "$unit" ] && [ "$(cat "$unit")" = "$new" ]; then
  say "unit unchanged"
else
  printf '%s\n' "$new" > "$unit"
  systemctl daemon-reload
  say "installed $unit"
fi
systemctl enable --quiet zerocopy-lab.service
systemctl restart zerocopy-lab.service
say "running; the dashboard: $(cat "$home/dashboard-url")"
