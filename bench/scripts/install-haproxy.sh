#!/bin/sh
# Installs HAProxy from Debian's packages when it is missing, for `npm run bench`'s comparison.
exec "$(dirname "$0")/install-debian-package.sh" haproxy
