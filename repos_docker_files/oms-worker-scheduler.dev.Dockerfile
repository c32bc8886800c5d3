# Dev image for oms-worker-scheduler, built by local-dev from cloned/oms (the repo oms-api and its workers share).
# Only the main package differs between oms-api and its workers: ./cmd/worker-scheduler here.
# config/local.yaml is injected by inject-config from configs/<ns>/oms.yaml.
FROM golang:1.21 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -o /out/oms-worker-scheduler ./cmd/worker-scheduler

FROM gcr.io/distroless/static-debian12
WORKDIR /srv/oms
COPY --from=build /out/oms-worker-scheduler /usr/local/bin/oms-worker-scheduler
COPY --from=build /src/config ./config
ENTRYPOINT ["/usr/local/bin/oms-worker-scheduler", "--config", "config/local.yaml"]
