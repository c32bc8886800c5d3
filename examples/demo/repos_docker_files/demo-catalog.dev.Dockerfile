# A Django API for development: Debian's Django 3.2 and debugpy, runserver WITHOUT its autoreload
# (--noreload: one process, no reloader polling the files), under debugpy on DEBUG_PORT (local-dev
# publishes it on its own 127.0.0.1 port). `nx run demo-catalog:dev` restarts it after a sync
# (config.yaml's live: restart: true): the "Python API restarted" case, where demo-api reloads itself.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-django python3-debugpy python3-redis \
 && rm -rf /var/lib/apt/lists/*
# -Xfrozen_modules=off: debugpy sees every module's source (Python 3.11 warns otherwise).
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYDEVD_DISABLE_FILE_VALIDATION=1
WORKDIR /app
# The code last: a change to it rebuilds from here, never the packages above.
COPY . .
EXPOSE 8000
CMD ["sh", "-c", "exec python3 -Xfrozen_modules=off -m debugpy --listen 0.0.0.0:${DEBUG_PORT} manage.py runserver --noreload 0.0.0.0:8000"]
