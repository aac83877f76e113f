"""MHI Hub settings, all from environment variables with safe defaults.

With no environment at all the product runs on SQLite under ./var with console email, which is what
`mhi demo` and the test suite use. Production sets DATABASE_URL, MHI_SECRET_KEY, MHI_ALLOWED_HOSTS,
MHI_HTTPS=1 and the email variables (see README.md).
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("MHI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """MHI_SECRET_KEY, or a random key kept in var/secret_key so sessions survive restarts."""
    if os.environ.get("MHI_SECRET_KEY"):
        return os.environ["MHI_SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written whole under a temporary name, then linked into place: processes starting at once (test
        # workers, web and worker) never read a half-written key, and the first one to link wins.
        tmp = VAR_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("MHI_DEBUG")
ALLOWED_HOSTS = env_list("MHI_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("MHI_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("MHI_SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "mhi.core",
    "mhi.accounts",
    "mhi.directory",
    "mhi.expertise",
    "mhi.opportunities",
    "mhi.bids",
    "mhi.resources",
    "mhi.studies",
    "mhi.responses",
    "mhi.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mhi.api.middleware.ApiErrorFormat",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mhi.accounts.middleware.RequireMFAForPrivilegedRoles",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mhi.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------
# PostgreSQL (or any database dj-database-url knows) when DATABASE_URL is set; SQLite otherwise, in WAL
# mode with IMMEDIATE transactions so concurrent writers queue on the busy timeout instead of failing.
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("MHI_DB_CONN_MAX_AGE", "60"))
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("MHI_SQLITE_PATH", str(VAR_DIR / "mhi.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "mhi.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[MHI Hub] "
# Signing up needs an invitation from an institution admin or coordinator unless this is switched on.
MHI_OPEN_SIGNUP = env_bool("MHI_OPEN_SIGNUP")
# Opportunity feeds on private, loopback or link-local addresses are refused unless this is set.
MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES = env_bool("MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "MHI Hub"
# Accept the code from the 30-second step before or after, for phones whose clocks drift.
MFA_TOTP_TOLERANCE = 1
MHI_API_TOKEN_TTL_DAYS = int(os.environ.get("MHI_API_TOKEN_TTL_DAYS", "365"))

# --- Email ------------------------------------------------------------------------------------------------
if os.environ.get("MHI_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["MHI_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("MHI_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("MHI_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("MHI_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("MHI_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("MHI_DEFAULT_FROM_EMAIL", "MHI Hub <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -----------------------------------------------------------------------------------
# The database backend queues tasks for `mhi worker`; `mhi demo` starts one beside the web server.
# MHI_TASKS_IMMEDIATE=1 runs each task inline in the request instead (the test suite does this).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("MHI_TASKS_IMMEDIATE")
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- Internationalisation -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------------
# npm builds the design system into static/dist (never committed); collectstatic gathers it for whitenoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static" / "dist"]
MEDIA_ROOT = Path(os.environ.get("MHI_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("MHI_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("MHI_PLAIN_STATIC")

# --- Security -------------------------------------------------------------------------------------------
# MHI_HTTPS=1 behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SESSION_COOKIE_HTTPONLY = True
# Behind a reverse proxy (always with MHI_HTTPS), the visitor's address is the one the proxy forwards.
MHI_BEHIND_PROXY = env_bool("MHI_BEHIND_PROXY", env_bool("MHI_HTTPS"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("MHI_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("MHI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MHI_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("MHI_HSTS_PRELOAD", True)
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Product settings ---------------------------------------------------------------------------------
# Map tiles: a URL template such as https://{s}.tile.example/{z}/{x}/{y}.png; empty shows markers on a
# plain background (the map page lists every place in a table either way).
MHI_MAP_TILE_URL = os.environ.get("MHI_MAP_TILE_URL", "")
MHI_MAP_TILE_ATTRIBUTION = os.environ.get("MHI_MAP_TILE_ATTRIBUTION", "")
MHI_PAGE_SIZE = 25
# Bids' confidential documents: outside the web root and MEDIA_ROOT, served only through a permission check.
MHI_PRIVATE_ROOT = Path(os.environ.get("MHI_PRIVATE_ROOT", VAR_DIR / "private"))
MHI_BID_UPLOAD_MAX_BYTES = int(os.environ.get("MHI_BID_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
# Extensions accepted for bid documents, each with the content types its file may declare and be sniffed as.
MHI_BID_UPLOAD_EXTENSIONS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "txt", "csv", "png", "jpg", "jpeg")
# Days before a bid's deadline that its team is reminded, unless the bid sets its own.
MHI_BID_REMINDER_DAYS = [int(d) for d in os.environ.get("MHI_BID_REMINDER_DAYS", "14,7,1").split(",") if d.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MHI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
