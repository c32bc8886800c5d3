#!/bin/sh
# Prints a fingerprint of what a service's image is built from but Nx cannot see: the code in its
# clone (cloned/ is gitignored by the workspace) and the namespace secret files (gitignored too).
# Used as an Nx runtime input, so a change in either invalidates build-image; runs in ~10 ms.
#
# usage: input-state.sh <clone-dir> [secret-file ...]
# Prints hashes only, never file contents: secrets do not end up in Nx's cache or logs.
set -eu
clone=$1
shift
if git -C "$clone" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "head $(git -C "$clone" rev-parse --verify -q HEAD || echo none)"
  # Changes to tracked files (injected files are skip-worktree, so they do not show here).
  echo "diff $(git -C "$clone" diff HEAD --binary --no-ext-diff 2>/dev/null | git hash-object --stdin)"
  # Untracked files that are not ignored (injected files are in .git/info/exclude).
  untracked=$(git -C "$clone" ls-files --others --exclude-standard)
  if [ -n "$untracked" ]; then
    echo "untracked $untracked"
    echo "$untracked" | (cd "$clone" && git hash-object --stdin-paths)
  fi
else
  echo "not cloned: $clone"
fi
for secret in "$@"; do
  if [ -f "$secret" ]; then echo "secret $secret $(git hash-object -- "$secret")"; fi
done
