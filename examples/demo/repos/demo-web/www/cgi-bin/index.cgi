#!/bin/sh
. /app/page.sh
page_head demo-web
echo "registry token: passed to the build as a BuildKit secret ($(cat /app/registry-token-length) bytes); not in the image"
api=$(call demo-api 8080 / | grep '^visits:')
echo "demo-api says: ${api:-NOT REACHABLE}"
echo "version: $(cat /app/VERSION)"
