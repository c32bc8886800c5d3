# The old `make run s2 health-api` habits, as thin aliases of the nx commands README.md lists.
#
#   make run [refresh] [live] [<namespace>] [<service> …]   start everything, or the named services and what they need
#   make status [<namespace>] [<service> …]                  what runs, and is it what you think (stale, crashed, dirty …)
#   make stats [watch] [<service> …]                         CPU, memory, network and restarts of the containers
#   make logs [<service> …]                                  follow the logs of all, or the named services
#   make stop [<service> …]                                  stop everything (containers, tunnel, network), or the named services
#   make restart [<namespace>] [<service> …]                 restart the containers (all, or the named) and reconnect Redis
#   make doctor [<namespace>] [<service> …]                  check everything a run needs, each problem with its fix
#   make clean [force]                                       stop, then remove images, generated files and cloned/ (force: even
#                                                            clones with local work, which are saved to logs/backups/ first)
#
# Words after the command are read as: "refresh", "live", "watch", "force", a namespace (a folder under
# configs/), or a service. GNU make rejects options it does not know, so the old `make run --live`
# and `make run --dashboard` are the words `live` and `dashboard` here.
#   make dashboard [<namespace>]                             the web dashboard on http://127.0.0.1:9999 (in the background;
#                                                            `make run dashboard` starts it first, then the stack)
#   make demo [down] [refresh] [<namespace>]                 the sample stack of examples/demo (docs/demo.md); down removes it

NX := npx nx
COMMANDS := run status stats logs stop restart clean doctor dashboard demo
NAMESPACES := $(notdir $(patsubst %/,%,$(wildcard configs/*/)))
FLAG_WORDS := refresh live watch force dashboard down
WORDS := $(filter-out $(COMMANDS),$(MAKECMDGOALS))
NAMESPACE := $(firstword $(filter $(NAMESPACES),$(WORDS)))
REFRESH := $(if $(filter refresh,$(WORDS)),--refresh)
# Nx streams every task's output as it is printed (builds, starts) instead of after each task.
LIVE := $(if $(filter live,$(WORDS)),--outputStyle=stream)
WATCH := $(if $(filter watch,$(WORDS)),--watch)
FORCE := $(if $(filter force,$(WORDS)),--force)
SERVICES := $(filter-out $(NAMESPACES) $(FLAG_WORDS),$(WORDS))
comma := ,
empty :=
space := $(empty) $(empty)
PROJECTS := $(subst $(space),$(comma),$(strip $(SERVICES)))
NS_FLAG := $(if $(NAMESPACE),--namespace=$(NAMESPACE))
SERVICES_FLAG := $(if $(PROJECTS),--services=$(PROJECTS))

.PHONY: $(COMMANDS)

run:
	$(if $(filter dashboard,$(MAKECMDGOALS)),$(NX) run stack:dashboard $(NS_FLAG))
	$(NX) run-many -t up $(if $(PROJECTS),--projects=$(PROJECTS)) $(NS_FLAG) $(REFRESH) $(LIVE)

status:
	$(NX) run stack:status $(SERVICES_FLAG) $(NS_FLAG)

stats:
	$(NX) run stack:stats $(SERVICES_FLAG) $(WATCH)

logs:
	$(NX) run stack:logs $(SERVICES_FLAG) --follow

stop:
	$(if $(PROJECTS),$(NX) run-many -t down --projects=$(PROJECTS),$(NX) run stack:stop)

restart:
	$(NX) run stack:restart $(SERVICES_FLAG) $(NS_FLAG)

clean:
	$(NX) run stack:clean $(FORCE)

doctor:
	$(NX) run stack:doctor $(SERVICES_FLAG) $(NS_FLAG)

demo:
	npm run demo -- $(if $(filter down,$(WORDS)),--down) $(REFRESH) $(NS_FLAG)

# After `run`, the word dashboard is already done (run started it first, to watch the build live).
dashboard:
	@$(if $(filter run,$(MAKECMDGOALS)),:,$(NX) run stack:dashboard $(NS_FLAG))

# The extra words (s2, refresh, health-api) are arguments, not targets: let make accept them.
%:
	@:
