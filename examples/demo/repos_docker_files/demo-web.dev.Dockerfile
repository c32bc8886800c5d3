# A Node web app for development: Debian's Node.js and npm; `npm ci` reaches the private registry
# with a token that local-dev passes as a BuildKit secret (build-secrets in config.yaml), so it is
# never a build arg nor in a layer. Runs under the Node inspector on DEBUG_PORT.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Node's own CA list, plus the machine's (a TLS-inspecting proxy's CA, see docs/demo.md).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=DEMO_REGISTRY_TOKEN,required=true --mount=type=cache,target=/root/.npm \
    DEMO_REGISTRY_TOKEN="$(cat /run/secrets/DEMO_REGISTRY_TOKEN)" npm ci --omit=dev --no-audit --no-fund \
 && wc -c < /run/secrets/DEMO_REGISTRY_TOKEN | tr -d ' ' > registry-token-length
COPY . .
EXPOSE 3000
CMD ["sh", "-c", "exec node --inspect=0.0.0.0:${DEBUG_PORT} server.js"]
