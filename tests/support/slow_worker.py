"""A real RQ worker process whose model stalls after each batch, so that a test
can kill it in the middle of a job. The slowness lives here, not in the product.

    python -m tests.support.slow_worker   (STALL_AFTER_BATCH_S seconds of stall)
"""

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import django_rq  # noqa: E402
from django.conf import settings  # noqa: E402
from rq.worker import SimpleWorker  # noqa: E402

from workers.pipeline.engines import ctc  # noqa: E402

stall_s = float(os.environ.get("STALL_AFTER_BATCH_S", "600"))
transcribe_quickly = ctc.CtcEngine.transcribe


def transcribe_then_stall(self, chunks, offsets_s, on_batch=None, *args, **kwargs):
    def report_then_stall(*progress):
        if on_batch is not None:
            on_batch(*progress)
        time.sleep(stall_s)

    return transcribe_quickly(self, chunks, offsets_s, report_then_stall, *args, **kwargs)


ctc.CtcEngine.transcribe = transcribe_then_stall

if __name__ == "__main__":
    settings.STT_MODEL = os.environ["STT_MODEL"]
    django_rq.get_worker(settings.TRANSCRIBE_QUEUE, worker_class=SimpleWorker).work(burst=True)
