#!/bin/sh
# Nx runtime input of every service's `up`: the local-dev containers that run (name, image, state,
# definition label). Prints a line that never repeats unless every service named on the command
# line has a running container, so `up` can only be a cache hit when the whole stack already runs:
# after a `down`, a crash, a reboot or a pruned image, `up` runs and starts what is missing.
#
# usage: containers-state.sh <service> [<service> …]
set -u
listing=$(docker ps --filter label=io.local-dev.workspace --format '{{.Label "io.local-dev.service"}} {{.Names}} {{.Image}} {{.State}} {{.Label "io.local-dev.definition"}}' 2>&1)
status=$?
if [ $status -ne 0 ]; then
  # No engine (or no permission): `up` runs and reports it properly; the hash must not repeat.
  echo "docker ps failed ($status) at $(date +%s)-$$: $listing"
  exit 0
fi
for service in "$@"; do
  if ! printf '%s\n' "$listing" | grep -q "^$service .* running "; then
    echo "not running: $service at $(date +%s)-$$"
    exit 0
  fi
done
printf '%s\n' "$listing" | sort
