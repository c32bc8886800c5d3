#!/bin/sh
# Nx runtime input of one service's `up`: prints the same line only while the service's container
# runs exactly as `up` would start it — the image its build record names (logs/images/<service>.json,
# written or restored by build-image) and the definition label docker-compose.yml gives it (written
# by docker-compose:generate) — and a line that never repeats otherwise. So `up` is a cache hit only
# when its container already runs as built: after a `down`, a crash, a reboot, a pruned image, a new
# image or a changed definition, it runs. Per service, so one service's change re-runs its own
# `up` only, not every service's.
#
# Only THIS workspace's containers count (label io.local-dev.workspace = the first 12 hex digits of
# the sha256 of the workspace's path, as src/docker/naming.ts computes it): another checkout running
# the same service names must not make this one's `up` look done.
#
# usage: container-state.sh <service>   (run in the workspace root, as Nx does)
set -u
service=$1
never_again() {
  echo "not as built: $service ($1) at $(date +%s)-$$"
  exit 0
}
root=$(pwd -P)
if command -v sha256sum >/dev/null 2>&1; then
  workspace=$(printf '%s' "$root" | sha256sum | cut -c1-12)
else
  # macOS has no sha256sum; shasum ships with it.
  workspace=$(printf '%s' "$root" | shasum -a 256 | cut -c1-12)
fi
record="logs/images/$service.json"
[ -f "$record" ] || never_again "no build record"
image=$(sed -n 's/^ *"image": "\(.*\)",\{0,1\}$/\1/p' "$record")
# The service's own labels sit at 6 spaces under "  <service>:"; build labels are deeper. (A
# name YAML must quote, such as `null`, is not found: that service's `up` then always runs.)
definition=$(awk -v key="  $service:" '
  $0 == key { inside = 1; next }
  inside && /^  [^ ]/ { exit }
  inside && /^      io\.local-dev\.definition: / { gsub(/"/, "", $2); print $2; exit }
' docker-compose.yml 2>/dev/null)
[ -n "$definition" ] || never_again "not in docker-compose.yml"
running=$(docker ps --filter "label=io.local-dev.workspace=$workspace" --filter "label=io.local-dev.service=$service" --format '{{.Image}} {{.State}} {{.Label "io.local-dev.definition"}}' 2>&1) ||
  never_again "docker ps failed: $running"
[ "$running" = "$image running $definition" ] || never_again "runs: ${running:-nothing}; wanted: $image $definition"
echo "$service runs $image with definition $definition in workspace $workspace"
