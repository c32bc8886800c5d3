#!/bin/sh
# demo-orders-mailer: a worker built from the demo-orders repo; counts in Redis every 2 s.
. /app/page.sh
echo "demo-orders-mailer started (namespace value: $DEMO_NAMESPACE_VALUE, Redis at $REDIS_HOST:$REDIS_PORT)"
while true; do
  count=$(redis INCR demo:orders:mailed)
  [ -n "$count" ] || echo "Redis not reachable at $REDIS_HOST:$REDIS_PORT; retrying"
  sleep 2
done
