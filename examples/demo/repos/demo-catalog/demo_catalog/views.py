"""demo-catalog's pages: its items (items.txt), what local-dev gave it (the namespace's .env,
Redis) and the debugger it runs under. demo-api reads /items by this service's name."""
import os

import redis
from django.conf import settings
from django.http import HttpResponse

store = redis.Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT, socket_timeout=2, socket_connect_timeout=2)


def health(request):
    return HttpResponse("ok\n", content_type="text/plain")


def item_names():
    return [line.strip() for line in settings.ITEMS_FILE.read_text().splitlines() if line.strip()]


def items(request):
    return HttpResponse(" ".join(item_names()) + "\n", content_type="text/plain")


def index(request):
    names = item_names()
    try:
        pong = "PONG" if store.ping() else "no answer"
    except redis.RedisError as error:
        pong = f"NOT REACHABLE ({error})"
    lines = [
        "service: demo-catalog",
        f"namespace value: {settings.DEMO_NAMESPACE_VALUE}",
        f"redis: {pong} at {settings.REDIS_HOST}:{settings.REDIS_PORT}",
        f"items: {' '.join(names)}",
        f"debugger: debugpy on container port {os.environ.get('DEBUG_PORT', 'none')}",
        f"version: {settings.VERSION}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
