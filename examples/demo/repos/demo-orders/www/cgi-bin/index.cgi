#!/bin/sh
. /app/page.sh
page_head demo-orders
# Both workers run from this repo's image source, each in its own container, and count in Redis.
echo "orders processed by demo-orders-worker: $(redis INCRBY demo:orders:processed 0)"
echo "mails sent by demo-orders-mailer: $(redis INCRBY demo:orders:mailed 0)"
echo "version: $(cat /app/VERSION)"
