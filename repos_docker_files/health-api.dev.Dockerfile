# Dev image for health-api (Django 3.1, Python 3.8), built by local-dev from cloned/health-api.
# The code is baked in at build time; local-dev rebuilds when the clone changes.
# debugpy listens on DEBUG_PORT (set by local-dev in docker-compose.yml; the host port differs per
# service, see `docker port`); attach with the VS Code config in configs/<ns>/debug-configs/.
FROM python:3.8-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/health-api
# Dependencies first, so a code change does not reinstall them.
COPY requirements*.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.txt debugpy

COPY . .

EXPOSE 8000
CMD ["sh", "-c", "exec python -m debugpy --listen 0.0.0.0:${DEBUG_PORT:-5678} app/manage.py runserver 0.0.0.0:8000"]
