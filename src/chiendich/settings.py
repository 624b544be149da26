"""Settings, read from the environment.

CHIENDICH_DATA_DIR   where the SQLite file and uploads live (default: ./var)
DATABASE_URL         e.g. postgres://user:pass@localhost/chiendich; SQLite when unset
CHIENDICH_SECRET_KEY required to serve when CHIENDICH_DEBUG is off
CHIENDICH_HTTPS      "1" behind HTTPS: HSTS, redirect to https, secure cookies
CHIENDICH_DEBUG      "1" to turn Django's debug mode on
CHIENDICH_ALLOWED_HOSTS comma-separated
CHIENDICH_CACHE_DIR  the cache folder shared by the server's processes (default: DATA_DIR/cache)
CHIENDICH_SESSIONS_IN_CACHE "0" keeps sessions in the database only (several web machines)
CHIENDICH_FIELD_WAIT_SECONDS seconds an outcome at the door waits for the database (default 3)
CHIENDICH_FIELD_INBOX_DIR the field inbox's folder, shared by web and worker (default: DATA_DIR)
"""

import hashlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CHIENDICH_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("CHIENDICH_DEBUG", "0") == "1"
# No default key outside debug mode: every server refuses to start without one
# (core/security.py says how to set it; `chiendich demo` makes its own per data folder).
SECRET_KEY = os.environ.get("CHIENDICH_SECRET_KEY", "") or (
    "insecure-debug-mode-only-key-never-served-with-debug-off" if DEBUG else ""
)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CHIENDICH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_tasks",
    "chiendich.core",
    "chiendich.accounts",
    "chiendich.units",
    "chiendich.plans",
    "chiendich.vneid",
    "chiendich.procedures",
    "chiendich.field",
    "chiendich.staff",
    "chiendich.reporting",
    "chiendich.results",
    "chiendich.imports",
    "chiendich.api",
    "chiendich.web",
    "chiendich.demo",
    # After chiendich.imports, whose `db_worker` (the worker that heals) overrides its own.
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chiendich.core.middleware.ContentSecurityPolicyMiddleware",
    "chiendich.core.middleware.StaticGZipMiddleware",  # around WhiteNoise: static files only
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chiendich.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chiendich.accounts.middleware.ActorMiddleware",
    "chiendich.core.middleware.NoStoreMiddleware",
    "chiendich.core.middleware.TextInputMiddleware",  # a NUL in a parameter: 400, not 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chiendich.urls"
WSGI_APPLICATION = "chiendich.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_sqlite_path = DATA_DIR / "chiendich.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("CHIENDICH_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A new CHIENDICH_DATA_DIR needs no mkdir first: `chiendich migrate` makes it.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while an import writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA mmap_size=2147483648;"  # scans read the OS page cache in place (counts)
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CHIENDICH_TEST_SQLITE") or None}
elif os.environ.get("CHIENDICH_TEST_DB"):
    # Several test runs against one PostgreSQL server need their own test databases.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["CHIENDICH_TEST_DB"]}

# The dashboard's figures and pages, cached under the version of the data they come from
# (web/stored.py): each process's memory in front of a folder all of the machine's
# processes share, so `chiendich serve`'s workers compute them once, and the worker that
# imports a file leaves them refreshed for the web (core/caching.py). Aggregates only,
# never personal data. The key prefix names the database (two databases used from one
# data folder, a SQLite and a PostgreSQL demo, never read each other's figures) and this
# version of the code, templates and translations (the folder outlives a restart: an
# upgraded app must not show pages its old templates rendered).
_db = DATABASES["default"]
_code = hashlib.sha256()
for _root, _dirs, _files in sorted(os.walk(BASE_DIR)):
    _dirs[:] = sorted(d for d in _dirs if d not in ("node_modules", "__pycache__", "tests"))
    for _name in sorted(_files):
        if _name.endswith((".py", ".html", ".mo", ".json")):
            _stat = (Path(_root) / _name).stat()
            _code.update(f"{_root}/{_name}:{_stat.st_size}:{_stat.st_mtime_ns}\n".encode())
_cache_dir = os.environ.get("CHIENDICH_CACHE_DIR") or str(DATA_DIR / "cache")
_cache_prefix = hashlib.sha256(
    "|".join(
        [*(str(_db.get(k, "")) for k in ("ENGINE", "NAME", "HOST", "PORT")), _code.hexdigest()]
    ).encode()
).hexdigest()[:16]
CACHES = {
    "default": {
        "BACKEND": "chiendich.core.caching.TieredCache",
        "LOCATION": _cache_dir,
        "KEY_PREFIX": _cache_prefix,
        "TIMEOUT": 6 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
    # Sessions: read from the shared folder, not the database, on every request; written
    # to both (Django's cached_db). No per-process memory here: signing out deletes the
    # session from the folder and the database, and no other worker process can still
    # hold it. The same folder as the figures (with this database's prefix), so clearing
    # the cache (a restore does) drops them too; a session not found there is read from
    # the database again.
    "sessions": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": _cache_dir,
        "KEY_PREFIX": "s" + _cache_prefix,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}
# Several web machines, each with its own cache folder, must keep sessions in the database
# only (CHIENDICH_SESSIONS_IN_CACHE=0): a sign-out on one would not reach the other's folder.
if os.environ.get("CHIENDICH_SESSIONS_IN_CACHE", "1") == "1":
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins for one username from one address lock that pair for an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("CHIENDICH_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/lockout.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["chiendich.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
# The campaign's "today" (yyyy-mm-dd); unset means the real date. See core/clock.py.
CAMPAIGN_TODAY = os.environ.get("CHIENDICH_TODAY", "")
# Days a volunteer's phone keeps its hamlets' worklists and unsent outcomes offline (field
# app); past them the page wipes the stored lists, and the server refuses phone times older.
FIELD_OFFLINE_DAYS = int(os.environ.get("CHIENDICH_FIELD_OFFLINE_DAYS", "7"))
# Seconds an outcome waits for the database before the field inbox accepts it (202).
FIELD_WAIT_SECONDS = float(os.environ.get("CHIENDICH_FIELD_WAIT_SECONDS", "3"))
# Where the field inbox's file lives (field/inbox.py); web and worker must both see it.
FIELD_INBOX_DIR = os.environ.get("CHIENDICH_FIELD_INBOX_DIR") or None
USE_TZ = True

STATIC_URL = "static/"
# Only for `collectstatic` in a deployment; the app serves static files itself (WhiteNoise).
STATIC_ROOT = os.environ.get("CHIENDICH_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background jobs (imports): Django's tasks framework through the django-tasks
# backport, stored in the database; `chiendich db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Digitized results' files live here, never in the database (results app).
RESULTS_STORAGE_DIR = Path(os.environ.get("CHIENDICH_RESULTS_DIR") or DATA_DIR / "results")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "chiendich.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "chiendich.api.pagination.ApiPagination",  # capped limit, offset
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "chiendich API",
    "DESCRIPTION": "Units, progress, indicators, reports and writes of a provincial campaign.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a `kind` or `state`: name each enum after its own model.
    "ENUM_NAME_OVERRIDES": {
        "AccountStateEnum": "chiendich.vneid.models.AccountState",
        "UnitKindEnum": "chiendich.units.models.Kind",
        "ReportStateEnum": "chiendich.reporting.models.ReportState",
    },
}

# --- Security: HTTPS, proxy, Content-Security-Policy (issue 16) ----------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# CHIENDICH_HTTPS=1 when users reach the site over HTTPS (TLS at a reverse proxy or at
# `chiendich serve --certfile`): browsers are told to use nothing else for a year, plain
# HTTP is redirected, and cookies never travel unencrypted.
HTTPS = os.environ.get("CHIENDICH_HTTPS", "0") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CHIENDICH_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("CHIENDICH_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("CHIENDICH_HSTS_PRELOAD", "0") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A health probe on the machine itself (systemd, a load balancer) speaks plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list is the domain owner's decision (hstspreload.org),
        # not an application default: CHIENDICH_HSTS_PRELOAD=1 sends the directive.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind a reverse proxy that ends TLS, the proxy says which scheme the user used:
# CHIENDICH_PROXY_SSL_HEADER=1 trusts X-Forwarded-Proto (or name another header). Only set it
# when the proxy overwrites that header on every request; otherwise a client could forge it.
_proxy_header = os.environ.get("CHIENDICH_PROXY_SSL_HEADER", "")
if _proxy_header:
    _proxy_header = "X-Forwarded-Proto" if _proxy_header == "1" else _proxy_header
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

# Content-Security-Policy (core.middleware): scripts, styles, images and fetches come from
# this site only; no inline script, no inline style, no plugin, no framing. The pages keep
# their scripts in static files and ECharts draws on canvas, so they need nothing more.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Django's admin and DRF's browsable API (templates we do not own) set a few inline
# styles; under these prefixes inline styles are allowed, scripts stay as strict.
CONTENT_SECURITY_POLICY_INLINE_STYLE_PREFIXES = ["/admin/", "/api/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHIENDICH_LOG_LEVEL", "WARNING")},
}
