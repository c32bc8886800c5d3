"""demo-catalog's settings. Its secrets come from .env at the repo's root, which is not in this
repo: local-dev injects it into the clone from configs/<namespace>/demo.env."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def read_env(file):
    """KEY=VALUE lines; # comments and blank lines ignored."""
    if not file.exists():
        raise RuntimeError(f"{file} is missing: local-dev injects it from configs/<namespace>/demo.env (npm run demo creates that file from its .example)")
    values = {}
    for line in file.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("\"'")
    return values


ENV = read_env(BASE_DIR / ".env")
DEMO_NAMESPACE_VALUE = ENV["DEMO_NAMESPACE_VALUE"]
SECRET_KEY = ENV.get("SECRET_KEY", f"demo-catalog-{DEMO_NAMESPACE_VALUE}")
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "demo_catalog.urls"
WSGI_APPLICATION = "demo_catalog.wsgi.application"
DATABASES = {}
USE_TZ = True

REDIS_HOST = os.environ.get("REDIS_HOST", "localhost")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
ITEMS_FILE = BASE_DIR / "items.txt"
VERSION = (BASE_DIR / "VERSION").read_text().strip()
