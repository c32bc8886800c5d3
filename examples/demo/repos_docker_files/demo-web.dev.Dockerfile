FROM busybox:1.36
COPY . /app
# Like `npm ci` against a private registry: the token is used in this one step through a BuildKit
# secret mount, and never lands in a layer (only its length is kept, to show it arrived).
RUN --mount=type=secret,id=DEMO_REGISTRY_TOKEN,required=true wc -c < /run/secrets/DEMO_REGISTRY_TOKEN | tr -d ' ' > /app/registry-token-length
RUN mkdir -p /www && cp -R /app/www/. /www/ && chmod +x /www/cgi-bin/*
CMD ["sh", "/app/start.sh"]
