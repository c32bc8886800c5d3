# demo-orders' Go module, built with Debian's Go; the module and build caches live in BuildKit
# cache mounts, so a one-line change recompiles that package only (not the standard library that
# delve's -N -l flags need recompiled, nor unchanged packages). All three images share these layers.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go delve \
 && rm -rf /var/lib/apt/lists/*
ENV CGO_ENABLED=0
WORKDIR /app
COPY go.mod ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY cmd ./cmd
COPY internal ./internal
# -v names each package it compiles: with warm caches, only what changed.
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -v -gcflags="all=-N -l" -o /app/bin/ ./cmd/...
COPY config ./config
COPY VERSION ./
CMD ["/app/bin/orders-mailer"]
