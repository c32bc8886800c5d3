#!/bin/sh
# Prints a fingerprint of what a service's image is built from but Nx cannot see: the code in its
# clone (cloned/ is gitignored by the workspace), what inject-config put in it (secrets, Dockerfile,
# debug configs: the sha256 lines of its manifest) and the namespace secret files (gitignored too).
# Used as build-image's Nx runtime input, so a change in any of them invalidates it. It runs once
# per repo on every `up`, so a clean clone costs two git processes (HEAD, status); only a dirty one
# pays for hashing its diff and untracked files.
#
# usage: input-state.sh <argument file>   (run in the workspace root, as Nx does)
# The argument file is written by the plugin (src/plugin/runtime-inputs.ts): the clone folder on
# its first line, then one secret file pattern per line (configs/*/<source>: every namespace).
# Config text reaches this script only as data read from that file, never as shell code: Nx runs
# runtime inputs through `sh -c`, so the command itself holds nothing but fixed words.
# Prints hashes only, never file contents: secrets do not end up in Nx's cache or logs.
#
# A failure must never print the same thing twice (Nx would then skip build-image for good): the
# trap ends a failed run with a line that never repeats, and exits 0 so Nx takes it as the input.
set -eu
trap 'status=$?; if [ "$status" -ne 0 ]; then echo "input-state failed ($status) at $(date +%s)-$$"; exit 0; fi' EXIT
args_file=$1
# Line breaks only: a pattern is one line, whatever it holds.
IFS='
'
clone=
patterns=
while IFS= read -r line || [ -n "$line" ]; do
  if [ -z "$clone" ]; then clone=$line; else patterns="$patterns$line
"; fi
done <"$args_file"
[ -n "$clone" ] || { echo "input-state: $args_file names no clone" >&2; exit 1; }
if [ -e "$clone/.git" ]; then
  # Never let git answer for the workspace repo around cloned/ if the clone's .git is broken.
  GIT_CEILING_DIRECTORIES=$(cd "$clone/.." && pwd -P)
  export GIT_CEILING_DIRECTORIES
  echo "head $(git -C "$clone" rev-parse --verify -q HEAD || echo none)"
  # Changed and untracked files; injected files are skip-worktree or in .git/info/exclude, so
  # they do not show. --no-optional-locks: a fingerprint must not take the index lock.
  changes=$(git --no-optional-locks -C "$clone" status --porcelain --untracked-files=all)
  if [ -n "$changes" ]; then
    echo "diff $(git -C "$clone" diff HEAD --binary --no-ext-diff | git hash-object --stdin)"
    # Names as they are (no octal quoting of non-ASCII), so hash-object finds the files.
    untracked=$(git -c core.quotePath=false -C "$clone" ls-files --others --exclude-standard)
    if [ -n "$untracked" ]; then
      echo "untracked $untracked"
      echo "$untracked" | (cd "$clone" && git hash-object --stdin-paths)
    fi
  fi
  # What inject-config wrote, by content (injectedAt, which changes on every injection, left out).
  manifest="$clone/.git/local-dev/injected.json"
  if [ -f "$manifest" ]; then
    grep -E '^ *"(namespace|dest|sha256)": ' "$manifest" || [ $? -eq 1 ]
  fi
else
  echo "not cloned: $clone"
fi
# The secret files that exist, then their hashes in the same order (one git process for all).
# $pattern is unquoted on purpose: the namespace `*` must expand (globbing runs no command).
set --
for pattern in $patterns; do
  for secret in $pattern; do
    if [ -f "$secret" ]; then set -- "$@" "$secret"; fi
  done
done
if [ $# -gt 0 ]; then
  echo "secrets $*"
  git hash-object -- "$@"
fi
