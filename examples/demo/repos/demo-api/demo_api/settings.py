"""demo-api's settings. The secrets come from demo_api/secrets.py, which is not in this repo:
local-dev injects it into the clone from configs/<namespace>/demo_api_secrets.py."""
import os
from pathlib import Path

try:
    from .secrets import DEMO_NAMESPACE_VALUE, SECRET_KEY  # noqa: F401
except ImportError as error:
    raise ImportError(
        "demo_api/secrets.py is missing: local-dev injects it from configs/<namespace>/demo_api_secrets.py "
        "(npm run demo creates that file from its .example)"
    ) from error

BASE_DIR = Path(__file__).resolve().parent.parent
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "demo_api.urls"
WSGI_APPLICATION = "demo_api.wsgi.application"
DATABASES = {}
USE_TZ = True

REDIS_HOST = os.environ.get("REDIS_HOST", "localhost")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
# Another service of the stack, by its service name on the compose network.
CATALOG_URL = os.environ.get("CATALOG_URL", "http://demo-catalog:8000")
VERSION = (BASE_DIR / "VERSION").read_text().strip()
