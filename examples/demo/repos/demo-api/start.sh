#!/bin/sh
# The API and a stand-in for its debugger on DEBUG_PORT (local-dev publishes it on its own host port).
nc -ll -p "${DEBUG_PORT:-9229}" -e echo "demo-api debugger stand-in" &
exec httpd -f -p 8080 -h /www
