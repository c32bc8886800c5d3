# demo-orders' Go module, built with Debian's Go. The image carries a warm build cache (GOCACHE,
# /root/.cache/go-build, in its layers, not in a BuildKit cache mount): the standard library compiled
# with delve's -N -l flags, before the code, so no code change ever compiles it again, and the
# module's packages. The container's command builds the code it holds before it runs it: a restart
# after `nx run <service>:dev` synced an edit (config.yaml's live: restart: true) compiles only the
# package changed, in the running container, with that cache. All three images share these layers.
# orders-api runs under delve: headless, DAP and JSON-RPC clients alike, on DEBUG_PORT.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go delve \
 && rm -rf /var/lib/apt/lists/*
ENV CGO_ENABLED=0
RUN go build -gcflags="all=-N -l" std
WORKDIR /app
# The module's requirements in the image (none today), so a build in the container needs no proxy.
COPY go.mod ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
# -v names each package it compiles: with the cache above, only what changed.
RUN go build -v -gcflags="all=-N -l" -o /app/bin/ ./cmd/...
COPY config ./config
COPY VERSION ./
EXPOSE 8080
CMD ["sh", "-c", "go build -gcflags='all=-N -l' -o /app/bin/ ./cmd/orders-api && exec dlv exec /app/bin/orders-api --headless --listen=:${DEBUG_PORT} --accept-multiclient --api-version=2 --continue"]
