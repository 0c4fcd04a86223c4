#!/bin/sh
# Installs a program from Debian's packages when it is missing, for `npm run bench`:
#   install-debian-package.sh <program> [<package>]   (the package defaults to the program's name)
# Exit 0 when the program is (now) installed; otherwise exit 1 with the reason on the last line of stderr.
set -u

program="$1"
package="${2:-$1}"

for candidate in "$program" "/usr/sbin/$program" "/usr/local/sbin/$program"; do
  if command -v "$candidate" >/dev/null 2>&1; then
    echo "$program present: $(command -v "$candidate")"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get on this machine; install $package with the system's package manager" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "not root and no passwordless sudo; run 'apt-get install $package' as root" >&2
    exit 1
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
echo "installing $program from Debian's packages (apt-get install -y $package)" >&2
# Lists may be missing or stale on a fresh machine: update once and retry before giving up.
if $sudo apt-get install -y --no-install-recommends "$package" >"$log" 2>&1 ||
   { $sudo apt-get update >>"$log" 2>&1 && $sudo apt-get install -y --no-install-recommends "$package" >>"$log" 2>&1; }; then
  echo "$program installed: $(command -v "$program" || echo "/usr/sbin/$program")"
  exit 0
fi
tail -n 5 "$log" >&2
echo "apt-get install $package failed: $(grep -E '^(E|W):' "$log" | tail -n 1 || true)" >&2
exit 1
