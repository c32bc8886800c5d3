"""demo-api's pages: what local-dev gave it (the namespace's secret, Redis, another service by
name) and the debugger it runs under."""
import os
import urllib.request

import redis
from django.conf import settings
from django.http import HttpResponse

store = redis.Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT, socket_timeout=2, socket_connect_timeout=2)


def health(request):
    return HttpResponse("ok\n", content_type="text/plain")


def redis_says(command):
    try:
        return command()
    except redis.RedisError as error:
        return f"NOT REACHABLE ({error})"


def catalog_says():
    try:
        with urllib.request.urlopen(f"{settings.CATALOG_URL}/items", timeout=5) as response:
            return response.read().decode().strip()
    except OSError as error:
        return f"NOT REACHABLE ({error})"


def index(request):
    namespace_value = settings.DEMO_NAMESPACE_VALUE
    pong = redis_says(lambda: "PONG" if store.ping() else "no answer")
    visits = redis_says(lambda: store.incr("demo:api:visits"))
    catalog = catalog_says()
    lines = [
        "service: demo-api",
        f"namespace value: {namespace_value}",
        f"redis: {pong} at {settings.REDIS_HOST}:{settings.REDIS_PORT}",
        f"visits: {visits}",
        f"demo-catalog says: {catalog}",
        f"debugger: debugpy on container port {os.environ.get('DEBUG_PORT', 'none')}",
        f"version: {settings.VERSION}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
