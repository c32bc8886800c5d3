# What every page of this repo shows: the namespace value local-dev injected (config/demo.env, from
# configs/<ns>/demo.env) and Redis, reached at REDIS_HOST:REDIS_PORT as compose sets them.
. /app/config/demo.env

# One Redis command over RESP with busybox nc; prints the first reply line without its type marker.
redis() {
  printf '%s\r\nQUIT\r\n' "$*" | nc -w 2 "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null | head -n 1 | tr -d '\r' | sed 's/^[-+:]//'
}

page_head() {
  printf 'Content-Type: text/plain\r\n\r\n'
  echo "service: $1"
  echo "namespace value: $DEMO_NAMESPACE_VALUE"
  ping=$(redis PING)
  echo "redis: ${ping:-NOT REACHABLE} at $REDIS_HOST:$REDIS_PORT"
}

# GET http://<service>:<port><path>: another service, by its name on the compose network. With nc,
# not wget: the busybox image scripts/setup-machine.sh makes from Debian's static busybox crashes in wget.
call() {
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" | nc -w 5 "$1" "$2" 2>/dev/null | sed '1,/^\r*$/d'
}
