"""Settings for the test run: the project's settings with a test Redis database,
a temporary media folder and DEBUG on. DATABASE_URL picks SQLite or PostgreSQL.

Worker processes started by tests import these settings too, with
SPEECHSITE_TEST_DB_NAME naming the database the test run created."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="speechsite-test-"))
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

from speechsite.settings import *  # noqa: E402,F403
from speechsite.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not ":memory:", so that worker processes share the test database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["DATA_DIR"], "test-db.sqlite3")}
if os.environ.get("SPEECHSITE_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["SPEECHSITE_TEST_DB_NAME"]

# WhiteNoise warns about a missing STATIC_ROOT; tests use the finders instead.
STATIC_ROOT = os.path.join(os.environ["DATA_DIR"], "static")
os.makedirs(STATIC_ROOT, exist_ok=True)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast sign-ups in tests
JOB_HEARTBEAT_S = float(os.environ.get("JOB_HEARTBEAT_S", "1"))
# No hub here: the text stages' models are off unless a test points them at a
# tiny model folder (worker processes get them through the environment).
PUNCTUATION_MODEL = os.environ.get("PUNCTUATION_MODEL", "")
SUMMARY_MODEL = os.environ.get("SUMMARY_MODEL", "")
