"""`manage.py rqworker transcribe` with the site's own settings, whose model
pauses STALL_AFTER_BATCH_S (default 1) after each batch, so that a test can kill
its host in the middle of a job (tests/support/stall.py).

    python -m tests.support.stalling_rqworker NAME
"""

import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.support.stall import stall_after_each_batch  # noqa: E402

stall_after_each_batch(default_s=1)

if __name__ == "__main__":
    call_command("rqworker", "transcribe", worker_class="rq.worker.SimpleWorker", name=sys.argv[1])
