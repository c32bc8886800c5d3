# The old `make run s2 health-api` habits, as thin aliases of the nx commands README.md lists.
#
#   make run [refresh] [live] [dashboard] [<namespace>] [<service> …]   start everything, or the named services and what they need
#   make dev [<namespace>] [<service> …]          start as run does, then put every edit in a clone into its running
#                                                 containers (config.yaml's live:), until Ctrl-C
#   make status [<namespace>] [<service> …]       what runs, and is it what you think (stale, crashed, dirty …)
#   make stats [watch] [<service> …]              CPU, memory, network and restarts of the containers
#   make logs [<service> …]                       follow the logs of all, or the named services
#   make stop [<service> …]                       stop everything (containers, tunnel, network), or the named services
#   make restart [<namespace>] [<service> …]      restart the containers (all, or the named) and reconnect Redis
#   make doctor [<namespace>] [<service> …]       check everything a run needs, each problem with its fix
#   make clean [force]                            stop, then remove what local-dev made (force: clones holding your
#                                                 work are moved to logs/backups/ first)
#   make dashboard [<namespace>]                  the web dashboard on http://127.0.0.1:9999 (in the background;
#                                                 `make run dashboard` starts it first, then the stack)
#   make demo [down] [refresh] [<namespace>]      the sample stack of examples/demo (docs/demo.md); down removes it
#
# The command comes first. Each word after it must be one the command takes: a flag word (refresh,
# live, …), a namespace (a folder under configs/) or a service of config.yaml; anything else, and
# an unknown command, stops make with the list, before anything runs. `make -n …` prints the nx
# commands without running them. GNU make rejects options it does not know, so the old
# `make run --live` and `make run --dashboard` are the words `live` and `dashboard` here.
#
# How: make would hand the words to a shell (`make logs 'a$(id)'` would run `id`), so no word is
# ever written into a recipe. They reach tools/local-dev/src/make/ (through runtime/make.js)
# in the environment, as make read them; it checks them and runs nx with an argument list.

MAKEFLAGS += --no-builtin-rules --no-builtin-variables
.SUFFIXES:

override export LOCAL_DEV_MAKE_WORDS := $(MAKECMDGOALS)
override export LOCAL_DEV_MAKE_ROOT := $(CURDIR)

# A bare `make` is `make run`.
.DEFAULT_GOAL := local-dev
.PHONY: local-dev

# Runs once, whatever the words; `+`: also under `make -n`, where it prints instead of running.
local-dev:
	+@node "$$LOCAL_DEV_MAKE_ROOT/tools/local-dev/runtime/make.js"

# Every word typed (the command, s2, refresh, health-api) is a goal to make: each one waits for
# the single run above and does nothing itself.
Makefile: ;
%: local-dev
	@:
