# A Django API for development: Debian's Django 3.2 and debugpy, runserver with its autoreload,
# under debugpy on DEBUG_PORT (local-dev publishes it on its own 127.0.0.1 port).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-django python3-debugpy python3-redis \
 && rm -rf /var/lib/apt/lists/*
# -Xfrozen_modules=off: debugpy sees every module's source (Python 3.11 warns otherwise).
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYDEVD_DISABLE_FILE_VALIDATION=1
# runserver's autoreload (Django's StatReloader: no watchman here) looks at the files once a second;
# every quarter of a second instead, so a view `nx run demo-api:dev` synced is served sooner. A
# wrapper that runs the repo's manage.py (it is the repo's to change, not this file's); runserver
# starts its server process with the same command line, so that process, which watches, is quick too.
RUN printf '%s\n' \
      'import os, sys' \
      'from django.utils import autoreload' \
      'autoreload.StatReloader.SLEEP_TIME = 0.25' \
      'sys.path.insert(0, os.getcwd())' \
      'manage = os.path.join(os.getcwd(), "manage.py")' \
      'exec(compile(open(manage).read(), manage, "exec"), {"__name__": "__main__", "__file__": manage})' \
      > /usr/local/lib/runserver-quick-reload.py
WORKDIR /app
# The code last: a change to it rebuilds from here, never the packages above.
COPY . .
EXPOSE 8000
CMD ["sh", "-c", "exec python3 -Xfrozen_modules=off -m debugpy --listen 0.0.0.0:${DEBUG_PORT} /usr/local/lib/runserver-quick-reload.py runserver 0.0.0.0:8000"]
