"""Settings of the benchmark processes: the project's own, plus the bench-only URLs.

Production settings stay untouched; the harness points DJANGO_SETTINGS_MODULE here and keeps the
data set out of var/ (ITSM_VAR_DIR=bench/data, or the DATABASE_URL given).
"""

from itsm.settings import *  # noqa: F403
from itsm.settings import CELERY_FILESYSTEM_BROKER_DIR, INSTALLED_APPS, filesystem_broker_options

# The benchmark's own app: its data set generator (`manage.py generate_dataset`).
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

ROOT_URLCONF = "bench.urls"
DEBUG = False

# The portal benchmark queues a notification task per submission, for events that exist only in
# the bench database. They must never reach a broker that a real worker consumes from (REDIS_URL),
# so the bench always queues them in files under its own folder, which it empties afterwards.
CELERY_BROKER_URL = "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_FILESYSTEM_BROKER_DIR)
