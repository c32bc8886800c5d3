# Dev image for oms-worker, built by local-dev from cloned/oms (the repo oms-api and its workers share).
# Only the main package differs between oms-api and its workers: ./cmd/worker here.
# config/local.yaml is injected by inject-config from configs/<ns>/oms.yaml.
FROM golang:1.21 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -o /out/oms-worker ./cmd/worker

FROM gcr.io/distroless/static-debian12
WORKDIR /srv/oms
COPY --from=build /out/oms-worker /usr/local/bin/oms-worker
COPY --from=build /src/config ./config
ENTRYPOINT ["/usr/local/bin/oms-worker", "--config", "config/local.yaml"]
