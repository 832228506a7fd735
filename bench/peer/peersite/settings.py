"""Django settings of the benchmark peer: django-oidc-provider as a production
deployment would run it (DEBUG off, persistent database connections, cached
templates, no per-request logging).

Environment:
  PEER_DATABASE_URL  libpq connection URI or key=value string (required)
  PEER_SITE_URL      the public base URL, e.g. http://127.0.0.1:8097; the
                     issuer is PEER_SITE_URL + "/openid"
  PEER_SECRET_KEY    Django's SECRET_KEY; serve.sh draws one per server start
                     (every worker must share it: sessions and CSRF tokens)
"""
import os

from psycopg2.extensions import parse_dsn


def _database(url: str) -> dict:
    # libpq semantics: postgresql://user@/db?host=/socket/dir&port=5433 works
    # as well as "dbname=db host=... port=...".
    params = parse_dsn(url)
    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname", "") or params.get("user", "") or "postgres",
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
        # Persistent connections: each worker keeps its connection open.
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": params,  # anything else libpq understands (sslmode, ...)
    }
    return db


BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = os.environ.get("PEER_SECRET_KEY") or "bench-peer-not-for-serving"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
    "peersite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peersite.urls"
WSGI_APPLICATION = "peersite.wsgi.application"

TEMPLATES = [
    {
        # With DEBUG off Django wraps the loaders in its cached loader.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {"default": _database(os.environ.get("PEER_DATABASE_URL", "postgresql:///peer"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's default password hasher (PBKDF2-SHA256, 1,000,000 iterations in
# Django 5.2) and database-backed sessions: the framework's shipped defaults.
LOGIN_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Errors to stderr only; no access log, no per-request warnings.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False}},
}

# django-oidc-provider
SITE_URL = os.environ.get("PEER_SITE_URL") or None
OIDC_USERINFO = "peersite.claims.userinfo"
OIDC_DISCOVERY_CACHE_ENABLE = True  # its own option: discovery from the process's cache
OIDC_TOKEN_EXPIRE = 60 * 60
OIDC_CODE_EXPIRE = 60 * 10
