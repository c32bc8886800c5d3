#!/bin/sh
. /app/page.sh
page_head demo-api
echo "visits: $(redis INCR demo:api:visits)"
# Another service, by its service name on the compose network.
catalog=$(call demo-catalog 8080 /cgi-bin/items.cgi)
echo "demo-catalog says: ${catalog:-NOT REACHABLE}"
echo "debugger: container port ${DEBUG_PORT:-none}"
echo "version: $(cat /app/VERSION)"
