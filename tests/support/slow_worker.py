"""A real RQ worker process whose model stalls after each batch, so that a test
can kill it in the middle of a job (tests/support/stall.py).

    python -m tests.support.slow_worker   (STALL_AFTER_BATCH_S seconds of stall, default 600)
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import django_rq  # noqa: E402
from django.conf import settings  # noqa: E402
from rq.worker import SimpleWorker  # noqa: E402

from tests.support.stall import stall_after_each_batch  # noqa: E402

stall_after_each_batch(default_s=600)

if __name__ == "__main__":
    settings.STT_MODEL = os.environ["STT_MODEL"]
    django_rq.get_worker(settings.TRANSCRIBE_QUEUE, worker_class=SimpleWorker).work(burst=True)
