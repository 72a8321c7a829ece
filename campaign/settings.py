"""
Settings for the solidarity petitions project.

Every value comes from the environment with a safe default, read through the typed helpers below,
which refuse malformed values at start-up with a message naming the variable (a typo in
DELIVERY_LIVE must not silently mean "false" -- or "true"). Values are read as they are: no
django-environ "$OTHER_VARIABLE" references, so a generated key that starts with "$" is that key.

Behind https:// (SITE_URL) with DEBUG off, the development defaults below are refused: DATABASE_URL,
REDIS_URL and EMAIL_URL must be set (a forgotten EMAIL_URL would print signers' emails to the log).

With nothing set, the project runs with no services at all: SQLite under var/, a filesystem Celery
broker under var/celery/ and a local-memory cache. Set DATABASE_URL and REDIS_URL for Postgres and
Redis.
"""

import os
import re
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email

from campaign import cpus

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Only for its URL parsers (db_url_config, email_url_config): values are read by env_str, because
# django-environ's own readers take a value starting with "$" for the name of another variable
# (SECRET_KEY=$k... was "not set"; IP_HASH_KEY=$k... silently became SECRET_KEY).
env = environ.Env()

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def env_str(name, default=None):
    """The variable's value exactly as set ("$" included), or `default` when it is not set."""
    return os.environ.get(name, default)


def env_list(name, default):
    """A comma-separated list; spaces around the commas are not part of the entries."""
    raw = env_str(name)
    if raw is None:
        return default
    return [entry.strip() for entry in raw.split(",") if entry.strip()]


def env_countries(name, default):
    """A comma-separated list of ISO 3166 alpha-2 codes (any case), each a country django-countries knows."""
    from django_countries.data import COUNTRIES  # a plain table: it needs no settings

    codes = [code.upper() for code in env_list(name, default)]
    unknown = [code for code in codes if code not in COUNTRIES]
    if unknown:
        raise ImproperlyConfigured(
            f"{name} must be two-letter country codes separated by commas, such as RU,BY; "
            f"not a country: {', '.join(unknown)}"
        )
    return frozenset(codes)


def env_bool(name, default):
    """A boolean that is exactly true/false (or 1/0, yes/no, on/off); anything else is an error."""
    raw = env_str(name)
    if not raw:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name, default, minimum=0):
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_url(name, default, schemes):
    """A URL whose scheme is one of `schemes` and whose port, if any, is a port; returned unchanged."""
    value = env_str(name, default)
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of {', '.join(s + '://' for s in schemes)}"
            f" (got scheme {scheme or 'none'!r})"
        )
    check_port(name, value)
    return value


def check_port(name, url):
    # urlsplit only parses the port when asked, and then raises a ValueError that the URL parsers
    # of django-environ and Celery let through as a traceback. The message leaves out the URL: it
    # may hold a password.
    try:
        return urlsplit(url).port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number from 0 to 65535") from None


def env_rate(name, default):
    """A rate limit: a number of attempts per [multiple of a] second, minute, hour or day (10/m, 5/10m)."""
    value = env_str(name, default)
    match = re.fullmatch(r"(\d+)/(\d*)([smhd])", value)
    # A zero period divided every sign POST by zero (petitions.limits); a zero count refused them all.
    if not match or int(match[1]) == 0 or match[2] and int(match[2]) == 0:
        raise ImproperlyConfigured(f"{name} must look like 10/m, 5/10m or 100/h (not zero), not {value!r}")
    return value


def env_from_email(name, default):
    """An address that mail can be sent from: "Name <user@domain>" or "user@domain"."""
    value = env_str(name, default)
    try:
        # What Django's mail does with it when sending (it raised for "noreply@" at every send).
        sanitize_address(value, "utf-8")
        validate_email(parseaddr(value)[1])
    except (ValueError, TypeError, ValidationError):
        raise ImproperlyConfigured(
            f"{name} must be one address such as 'Solidarity petitions <noreply@example.org>', not {value!r}"
        ) from None
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is false (make run and make test set their own)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 (never used with DEBUG off)

# Keys SECRET_KEY replaced, comma-separated: links already emailed and admin sessions made under
# them keep working while they are listed (rotating a leaked key).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", ["http", "https"]).rstrip("/")
_site = urlsplit(SITE_URL)
if not _site.hostname:
    raise ImproperlyConfigured(
        "SITE_URL must name the site's host, as in https://petitions.example.org (it has none)"
    )
if _site.path or _site.query or _site.fragment:
    # The site is served at the root of its host (no FORCE_SCRIPT_NAME): with a path here, emailed
    # links would point under it and the pages' own links outside it.
    raise ImproperlyConfigured(
        "SITE_URL must be the site's address without a path, as in https://petitions.example.org"
        " (the site is served at the root of its host)"
    )
SITE_IS_HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site.hostname, "127.0.0.1", "localhost"])
# The site answers to the name every link it sends points to, whatever else ALLOWED_HOSTS lists
# (compose sets its own list; overriding SITE_URL alone then left the site answering 400).
if _site.hostname not in ALLOWED_HOSTS and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_site.hostname)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

# Deliveries go to real embassy addresses only when this is true *and* the petition is switched
# to live delivery; otherwise they go to the petition's test recipient, marked as a test.
DELIVERY_LIVE = env_bool("DELIVERY_LIVE", False)

if SITE_IS_HTTPS and not DEBUG:
    # A public production site: the zero-setup defaults would keep signers' data in a file inside
    # the container, queue mail on its disk and print every email (addresses included) to the log.
    for _name, _without in (
        ("DATABASE_URL", "SQLite under var/"),
        ("REDIS_URL", "a filesystem broker and per-process rate limits"),
        ("EMAIL_URL", "emails printed to the log"),
        # No receiver can check SPF or DKIM for a From at "localhost": Gmail and others reject such mail
        # or file it as spam, and the signers' confirmation links with it.
        ("DEFAULT_FROM_EMAIL", "every email sent from noreply@localhost"),
    ):
        if not env_str(_name):
            raise ImproperlyConfigured(
                f"{_name} must be set when SITE_URL is https:// and DEBUG is false (without it: {_without})"
            )

INSTALLED_APPS = [
    "modeltranslation",  # before admin, as its documentation requires
    "campaign.adminsite.AdminConfig",  # django.contrib.admin, with our admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # sitemap.xml's template (campaign/sitemaps.py)
    "django_countries",
    "django_celery_beat",
    "axes",
    "django_otp",  # the organisers' second factor (campaign.two_factor)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django.forms",  # the widgets' templates, for FORM_RENDERER
    "campaign",
    "prisoners",
    "petitions",
]

MIDDLEWARE = [
    # First: /healthz and /readyz for probes that know the instance by its address only (its docstring).
    "campaign.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "campaign.middleware.PermissionsPolicyMiddleware",
    "campaign.middleware.CSPMiddleware",  # django-csp's, with the header built once
    "campaign.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "campaign.middleware.AuthenticationMiddleware",  # Django's, minding the second factor
    "campaign.middleware.MessageMiddleware",  # Django's, its storage made only when used
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: locks out guessing at the admin login.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "campaign.urls"
WSGI_APPLICATION = "campaign.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- The web server (manage.py serve: granian) ------------------------------------------------

# Worker processes, and threads in each; every thread holds one persistent database connection.
# By default one per CPU this process may use: a container pinned to some of a big host's cores
# (--cpuset-cpus) or given a CPU quota (--cpus) must not start one per core of the host.
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", cpus.available(), minimum=1)
WEB_THREADS = env_int("WEB_THREADS", 2, minimum=1)

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_url(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}", ["sqlite", "postgres", "postgresql"]
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# Persistent connections are mandatory: without them inserts ran 5x slower on these machines.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a connection a Postgres restart killed is replaced, not reused
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that asks the socket before it sends SELECT 1 (campaign/db).
    DATABASES["default"]["ENGINE"] = "campaign.db"
    # A database host that does not answer (a dead network path) fails a request, and /readyz,
    # within seconds rather than after the system's TCP timeout; ?connect_timeout= in the URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the zero-setup default for make run / make test; WAL lets the worker and the web
    # server use the same file without "database is locked" on every write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, ["redis", "rediss", "unix"])
    CACHES = {
        "default": {
            # Django's RedisCache, failing open: with Redis down the site serves and takes
            # signatures without it (campaign/cache.py).
            "BACKEND": "campaign.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sp",
            # A Redis that hangs must not hang the pages: give up and fail open.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Without Redis (make run, make test) rate limits count per process. Production sets
    # REDIS_URL: the counters of petitions.limits must be shared by every web process.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Each process's own memory, for what every request of a surge reads and a moment's staleness
# cannot hurt: the public petition and its rendered page, the public JSON (petitions/views.py).
# Nothing in it needs to agree between processes.
CACHES["local"] = {
    "BACKEND": "campaign.cache.ProcessMemoryCache",  # LocMemCache without pickling (its docstring)
    "LOCATION": "petitions-local",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or REDIS_URL or "filesystem://localhost/"
env_url("CELERY_BROKER_URL", CELERY_BROKER_URL, ["redis", "rediss", "unix", "filesystem"])
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The zero-setup broker: messages are files under var/celery/, shared by web, worker, beat.
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    # Publishing from a request must not hang on a Redis that does not answer (campaign/jobs.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
if CELERY_RESULT_BACKEND:
    from celery.app.backends import by_url

    check_port("CELERY_RESULT_BACKEND", CELERY_RESULT_BACKEND)
    try:
        by_url(CELERY_RESULT_BACKEND)  # imports the backend's module; connects to nothing
    except Exception:  # ImportError, Celery's ImproperlyConfigured, ...: all mean "not one we can use"
        raise ImproperlyConfigured(
            "CELERY_RESULT_BACKEND must be a result backend URL Celery can load here, such as"
            f" redis://host:6379/1 (got scheme {urlsplit(CELERY_RESULT_BACKEND).scheme or 'none'!r})"
        ) from None  # the URL itself is not repeated: it may hold a password
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes every database connection before and after each task unless this is
# set, so a worker connected to Postgres anew for each task: under a surge, with a batch of signer
# emails every tenth of a second, the backends' start-up took ~14% of a core (bench/README.md,
# sixteenth round). Set, the fix-up leaves connections alone (it closes them once per 2 x this many
# tasks), and campaign.celery treats each task as Django treats a request: CONN_MAX_AGE and
# CONN_HEALTH_CHECKS apply to the worker as to the web.
CELERY_DB_REUSE_MAX = 100_000
# A worker process that rendered a very large letter is replaced afterwards (KiB; bench/README.md).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 250_000, minimum=50_000)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    # The soft limit lets a task give up cleanly; at or past the hard limit it never fires.
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT ({CELERY_TASK_SOFT_TIME_LIMIT}) must be less than"
        f" CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT})"
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Email ----------------------------------------------------------------------------------

EMAIL_URL = env_url(
    "EMAIL_URL",
    "consolemail://",
    ["smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"],
)
globals().update(env.email_url_config(EMAIL_URL))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_from_email("DEFAULT_FROM_EMAIL", "Solidarity petitions <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------

# Settings that only make sense behind HTTPS follow SITE_URL's scheme, so production settings
# (DEBUG=false) also run on plain http://127.0.0.1 for tests and benchmarks.
SECURE_SSL_REDIRECT = SITE_IS_HTTPS
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SITE_IS_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SITE_IS_HTTPS
SECURE_HSTS_PRELOAD = SITE_IS_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SITE_IS_HTTPS else None
# A load balancer or container healthcheck probes over plain http: campaign.health answers it
# before SecurityMiddleware would redirect it (a 301 is not "healthy").
SESSION_COOKIE_HTTPONLY = True
# The language switch's cookie (/i18n/setlang/) too: by Django's defaults it went over plain http
# and to scripts, and "this browser reads the site in Russian" is something to keep to the signer.
LANGUAGE_COOKIE_SECURE = SITE_IS_HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts, which
# Django's CSRF check (rightly) refuses. Nothing is sent to other sites either way.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Nothing from any other origin, no inline script or style anywhere on the public site. The one
# page other sites may frame is the counter widget (it replaces frame-ancestors). Django admin
# keeps its own inline styles, so it is left out of this policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# Request bodies (campaign.middleware.RequestLimitsMiddleware): a signature is a few KiB; only the
# admin takes uploads (a prisoner's photo, at most PHOTO_MAX_BYTES).
PUBLIC_REQUEST_MAX_BYTES = 64 * 1024
ADMIN_REQUEST_MAX_BYTES = 12 * 1024 * 1024
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Keys the IP address before it is hashed; raw IP addresses are never stored.
IP_HASH_KEY = env_str("IP_HASH_KEY") or SECRET_KEY
# How many reverse proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Signers' personal data is anonymised this many days after a petition closes and its
# deliveries are done (names become initials or nothing, emails and hashes are erased).
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 90, minimum=1)

# Rate limits on the sign form, per network (hashed IP address) and petition: petitions.limits.
SIGN_RATE_BURST = env_rate("SIGN_RATE_BURST", "10/m")
SIGN_RATE_SUSTAINED = env_rate("SIGN_RATE_SUSTAINED", "100/h")
# Confirmation and "already signed" emails to one address, whatever the petition (petitions.outbox).
SIGNER_EMAILS_PER_ADDRESS = env_rate("SIGNER_EMAILS_PER_ADDRESS", "10/d")
# A signer of one of these countries who chooses to be named (in the letter, or in full on the public
# list) is asked to confirm it (petitions.forms.RISKS). Russia's state reads both; Belarus's
# security services work closely with Russia's. Empty: no one is asked.
NAMING_RISK_COUNTRIES = env_countries("NAMING_RISK_COUNTRIES", ["RU", "BY"])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("fr", "Français"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["campaign.formats"]  # a date that ends a sentence ends with one full stop
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Delivery letters (they name signatories): never under MEDIA_ROOT, served only via the admin.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Widgets are rendered by the site's template engine, so templates/ can override a widget's
# template: the admin's date-and-time field labels its two inputs (templates/admin/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"
if ADMIN_URL == "/":
    # path("/") matches no request: the admin would be unreachable.
    raise ImproperlyConfigured("ADMIN_URL must be a path such as admin/ or staff/, not empty or /")
CONTENT_SECURITY_POLICY["EXCLUDE_URL_PREFIXES"] = [f"/{ADMIN_URL}"]
# Where a login goes when its ?next= is refused (another site's address): the admin, the only
# place anyone logs in. Django's default, /accounts/profile/, is no page here.
LOGIN_REDIRECT_URL = f"/{ADMIN_URL}"
# Admin sessions end after a working day; a shared computer at a picket should not stay logged in.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)

# Guessing at the admin login: 5 failures for one username from one address lock that pair out
# for 15 minutes (locking a username alone would let anyone lock an organiser out).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "petitions.signing.client_ip"
AXES_VERBOSE = False  # its log lines carry usernames and addresses

# The admin holds the names and emails of people who may be at risk for signing: a password alone
# (phished, reused) must not open it. With this on, the admin logs an organiser in only once a code
# from their authenticator app follows the password; the first time, they set the app up
# (campaign.two_factor). On by default behind https://, off for development and tests on http.
ADMIN_TWO_FACTOR = env_bool("ADMIN_TWO_FACTOR", SITE_IS_HTTPS)
# How authenticator apps name the account: the site's host, e.g. "petitions.example.org: olga".
OTP_TOTP_ISSUER = _site.hostname
# A superuser resets an organiser's app by deleting its device; they must not be able to read its key
# (and so make the organiser's codes themselves).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
# json (one object per line, for a log collector) or plain (for people). Both redact anything
# that looks like an email or IP address (campaign/logs.py); the code logs only ids anyway.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "campaign.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "campaign.logs.JSONFormatter"},
    },
    "filters": {"as_warning": {"()": "campaign.logs.AsWarning"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Everything goes through the root handler above; without this Django's own console
        # handler (DEBUG only) would print each of its lines a second time.
        "django": {"handlers": [], "propagate": True},
        # Django logs the request line of every 4xx/5xx; it carries no personal data we add, but
        # keep it at WARNING so a flood of 404s from scanners does not drown the worker logs.
        "django.request": {"level": "WARNING"},
        # Django logs every request for a host we do not serve at ERROR; scanners send them all day.
        "django.security.DisallowedHost": {"filters": ["as_warning"]},
    },
}
