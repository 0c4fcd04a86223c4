#!/bin/sh
# Installs nginx from Debian's packages when it is missing, for `npm run bench`'s HTTP-origin stage.
# Exit 0 when nginx is (now) installed; otherwise exit 1 with the reason on the last line of stderr.
set -u

for candidate in nginx /usr/sbin/nginx /usr/local/sbin/nginx; do
  if command -v "$candidate" >/dev/null 2>&1; then
    echo "nginx present: $(command -v "$candidate")"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get on this machine; install nginx with the system's package manager" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "not root and no passwordless sudo; run 'apt-get install nginx' as root" >&2
    exit 1
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# bookworm's nginx-light is a transitional package for nginx plus modules the bench does not use:
# nginx itself has proxy_cache.
echo "installing nginx from Debian's packages (apt-get install -y nginx)" >&2
# Lists may be missing or stale on a fresh machine: update once and retry before giving up.
if $sudo apt-get install -y --no-install-recommends nginx >"$log" 2>&1 ||
   { $sudo apt-get update >>"$log" 2>&1 && $sudo apt-get install -y --no-install-recommends nginx >>"$log" 2>&1; }; then
  echo "nginx installed: $(command -v nginx || echo /usr/sbin/nginx)"
  exit 0
fi
tail -n 5 "$log" >&2
echo "apt-get install nginx failed: $(grep -E '^(E|W):' "$log" | tail -n 1 || true)" >&2
exit 1
