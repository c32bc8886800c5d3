#!/bin/sh
# Nx runtime input of every service's `up`: this workspace's local-dev containers that run (name,
# image, state, definition label). Prints a line that never repeats unless every service named on
# the command line has a running container, so `up` can only be a cache hit when the whole stack
# already runs: after a `down`, a crash, a reboot or a pruned image, `up` runs and starts what is
# missing.
#
# Only THIS workspace's containers count (label io.local-dev.workspace = the first 12 hex digits of
# the sha256 of the workspace's path, as src/docker/naming.ts computes it): another checkout with
# the same service names running must not make this one's `up` look done.
#
# usage: containers-state.sh <service> [<service> …]   (run in the workspace root, as Nx does)
set -u
root=$(pwd -P)
if command -v sha256sum >/dev/null 2>&1; then
  workspace=$(printf '%s' "$root" | sha256sum | cut -c1-12)
else
  # macOS has no sha256sum; shasum ships with it.
  workspace=$(printf '%s' "$root" | shasum -a 256 | cut -c1-12)
fi
listing=$(docker ps --filter "label=io.local-dev.workspace=$workspace" --format '{{.Label "io.local-dev.service"}} {{.Names}} {{.Image}} {{.State}} {{.Label "io.local-dev.definition"}}' 2>&1)
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
printf 'workspace %s\n' "$workspace"
printf '%s\n' "$listing" | sort
