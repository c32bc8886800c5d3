# Dev image for scheduler-api (Django, Python 3.8), built by local-dev from cloned/scheduler-api.
# debugpy listens on DEBUG_PORT (set by local-dev; its host port differs from health-api's).
FROM python:3.8-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/scheduler-api
COPY requirements*.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.txt debugpy

COPY . .

EXPOSE 8010
CMD ["sh", "-c", "exec python -m debugpy --listen 0.0.0.0:${DEBUG_PORT:-5678} manage.py runserver 0.0.0.0:8010"]
