# The old `make run s2 health-api` habits, as thin aliases of the nx commands README.md lists.
#
#   make run [refresh] [<namespace>] [<service> …]   start everything, or the named services and what they need
#   make logs <service>                               follow a service's logs
#   make stop [<service> …]                           stop everything, or the named services
#   make restart                                      reconnect the Redis tunnel
#
# Words after the command are read as: "refresh", a namespace (a folder under configs/), or a service.

NX := npx nx
COMMANDS := run logs stop restart
NAMESPACES := $(notdir $(patsubst %/,%,$(wildcard configs/*/)))
WORDS := $(filter-out $(COMMANDS),$(MAKECMDGOALS))
NAMESPACE := $(firstword $(filter $(NAMESPACES),$(WORDS)))
REFRESH := $(if $(filter refresh,$(WORDS)),--refresh)
SERVICES := $(filter-out $(NAMESPACES) refresh,$(WORDS))
comma := ,
empty :=
space := $(empty) $(empty)
PROJECTS := $(subst $(space),$(comma),$(strip $(SERVICES)))
NS_FLAG := $(if $(NAMESPACE),--namespace=$(NAMESPACE))

.PHONY: $(COMMANDS)

run:
	$(NX) run-many -t up $(if $(PROJECTS),--projects=$(PROJECTS)) $(NS_FLAG) $(REFRESH)

logs:
	@test -n "$(PROJECTS)" || { echo "usage: make logs <service>"; exit 2; }
	$(NX) run $(PROJECTS):logs --follow

stop:
	$(NX) run-many -t down $(if $(PROJECTS),--projects=$(PROJECTS))

restart:
	$(NX) run redis-tunnel:restart $(NS_FLAG)

# The extra words (s2, refresh, health-api) are arguments, not targets: let make accept them.
%:
	@:
