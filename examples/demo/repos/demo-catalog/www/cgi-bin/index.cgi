#!/bin/sh
. /app/page.sh
page_head demo-catalog
echo "items: $(cat /app/items.txt | tr '\n' ' ')"
echo "version: $(cat /app/VERSION)"
