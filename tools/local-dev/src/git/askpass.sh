#!/bin/sh
# git runs this as GIT_ASKPASS (set by git.ts only for a repo URL that carried credentials in
# config.yaml), with its prompt as the one argument: "Username for '<url>': " or
# "Password for '<url>': ". The answers come from the environment, so the secret is in no command
# line (printf is built into sh) and in no file.
case "$1" in
  Username*) printf '%s\n' "$LOCAL_DEV_GIT_USERNAME" ;;
  Password*) printf '%s\n' "$LOCAL_DEV_GIT_PASSWORD" ;;
  *)
    echo "local-dev askpass: unexpected question from git: $1" >&2
    exit 1
    ;;
esac
