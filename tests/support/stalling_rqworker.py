"""`manage.py rqworker transcribe` with the site's own settings, whose model
pauses STALL_AFTER_BATCH_S after each batch, so that a test can kill its host in
the middle of a job. The pause lives here, not in the product.

    python -m tests.support.stalling_rqworker NAME
"""

import os
import sys
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from workers.pipeline.engines import ctc  # noqa: E402

stall_s = float(os.environ.get("STALL_AFTER_BATCH_S", "1"))
transcribe_quickly = ctc.CtcEngine.transcribe


def transcribe_then_stall(self, chunks, offsets_s, on_batch=None, *args, **kwargs):
    def report_then_stall(*progress):
        if on_batch is not None:
            on_batch(*progress)
        time.sleep(stall_s)

    return transcribe_quickly(self, chunks, offsets_s, report_then_stall, *args, **kwargs)


ctc.CtcEngine.transcribe = transcribe_then_stall

if __name__ == "__main__":
    call_command("rqworker", "transcribe", worker_class="rq.worker.SimpleWorker", name=sys.argv[1])
