"""Settings of the benchmark processes: the project's own, plus the bench-only URLs.

Production settings stay untouched; the harness points DJANGO_SETTINGS_MODULE here and keeps the
data set out of var/ (ITSM_VAR_DIR=bench/data, or the DATABASE_URL given).
"""

from itsm.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
