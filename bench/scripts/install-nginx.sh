#!/bin/sh
# Installs nginx from Debian's packages when it is missing, for `npm run bench`'s HTTP-origin stage.
# bookworm's nginx-light is a transitional package for nginx plus modules the bench does not use:
# nginx itself has proxy_cache.
exec "$(dirname "$0")/install-debian-package.sh" nginx
