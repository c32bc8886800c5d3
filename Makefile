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

NX := npx nx
COMMANDS := run status stats logs stop restart clean doctor dashboard
NAMESPACES := $(notdir $(patsubst %/,%,$(wildcard configs/*/)))
FLAG_WORDS := refresh live watch force dashboard
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
NOT_YET = { echo "make $@: $(1) does not exist yet ($(2)); nothing was done"; exit 2; }

.PHONY: $(COMMANDS)

run:
	@$(if $(filter dashboard,$(MAKECMDGOALS)),$(call NOT_YET,the web dashboard,issue 13: run without the word dashboard))
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

dashboard:
	@$(call NOT_YET,the web dashboard,issue 13)

# The extra words (s2, refresh, health-api) are arguments, not targets: let make accept them.
%:
	@:
