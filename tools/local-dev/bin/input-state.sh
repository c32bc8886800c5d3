#!/bin/sh
# Prints a fingerprint of what a service's image is built from but Nx cannot see: the code in its
# clone (cloned/ is gitignored by the workspace) and the namespace secret files (gitignored too).
# Used as build-image's Nx runtime input, so a change in either invalidates it. It runs once per
# repo on every `up`, so a clean clone costs two git processes (HEAD, status); only a dirty one
# pays for hashing its diff and untracked files.
#
# usage: input-state.sh <clone-dir> [secret-file ...]
# Prints hashes only, never file contents: secrets do not end up in Nx's cache or logs.
set -eu
clone=$1
shift
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
    untracked=$(git -C "$clone" ls-files --others --exclude-standard)
    if [ -n "$untracked" ]; then
      echo "untracked $untracked"
      echo "$untracked" | (cd "$clone" && git hash-object --stdin-paths)
    fi
  fi
else
  echo "not cloned: $clone"
fi
# The secret files that exist, then their hashes in the same order (one git process for all).
count=$#
for secret in "$@"; do
  if [ -f "$secret" ]; then set -- "$@" "$secret"; fi
done
shift "$count"
if [ $# -gt 0 ]; then
  echo "secrets $*"
  git hash-object -- "$@"
fi
