"""Make the CTC engine pause after each batch (its progress reported first), so
that a test can kill a worker, or its host, in the middle of a job. The pause
lives here, in the test worker processes, not in the product."""

import os
import time

from workers.pipeline.engines import ctc


def stall_after_each_batch(default_s):
    """Patch this process's CtcEngine: STALL_AFTER_BATCH_S (else `default_s`) seconds after each batch."""
    stall_s = float(os.environ.get("STALL_AFTER_BATCH_S", default_s))
    transcribe_quickly = ctc.CtcEngine.transcribe

    def transcribe_then_stall(self, chunks, offsets_s, on_batch=None, *args, **kwargs):
        def report_then_stall(*progress):
            if on_batch is not None:
                on_batch(*progress)
            time.sleep(stall_s)

        return transcribe_quickly(self, chunks, offsets_s, report_then_stall, *args, **kwargs)

    ctc.CtcEngine.transcribe = transcribe_then_stall
