#!/bin/sh
# demo-orders-worker: a worker built from the demo-orders repo; counts in Redis every 2 s.
. /app/page.sh
echo "demo-orders-worker started (namespace value: $DEMO_NAMESPACE_VALUE, Redis at $REDIS_HOST:$REDIS_PORT)"
while true; do
  count=$(redis INCR demo:orders:processed)
  [ -n "$count" ] || echo "Redis not reachable at $REDIS_HOST:$REDIS_PORT; retrying"
  sleep 2
done
