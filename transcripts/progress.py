"""What the job page says about a job in progress: one percentage over all
stages, a sentence for the stage and an estimate of the time left."""

from django.utils import timezone

from .models import Transcription

Stage = Transcription.Stage
Status = Transcription.Status

# The share of the whole job (percent) each stage covers; the row's `progress`
# is the percent within the current stage.
STAGE_SPANS = {
    Stage.WAITING: (0.0, 0.0),
    Stage.DOWNLOADING: (0.0, 10.0),
    Stage.DECODING: (10.0, 15.0),
    Stage.TRANSCRIBING: (15.0, 95.0),
    Stage.SAVING: (95.0, 99.0),
    Stage.FINISHED: (100.0, 100.0),
}


def overall_percent(transcription):
    if transcription.status == Status.DONE:
        return 100.0
    low, high = STAGE_SPANS.get(transcription.stage, (0.0, 0.0))
    within = min(max(transcription.progress, 0.0), 100.0) / 100.0
    return round(low + (high - low) * within, 1)


def stage_text(transcription, queue_position=None, workers_serving=None):
    """workers_serving: how many running workers serve the job's model (None: unknown)."""
    status, stage = transcription.status, transcription.stage
    if status == Status.QUEUED:
        waiting = f"Waiting in the queue (position {queue_position})" if queue_position else "Waiting in the queue"
        if workers_serving == 0:
            return (
                f"{waiting}. No worker that runs the model {transcription.model_label} is running right now; "
                "the job starts as soon as one is."
            )
        return waiting
    if status == Status.RUNNING:
        if stage == Stage.DOWNLOADING:
            return f"Downloading ({transcription.progress:.0f}%)"
        if stage == Stage.TRANSCRIBING and transcription.chunks_total:
            current = min(transcription.chunks_done + 1, transcription.chunks_total)
            return f"Transcribing part {current} of {transcription.chunks_total}"
        return Stage(stage).label
    return ""  # finished: the status badge says it all


def seconds_left(transcription, now=None):
    """A rough estimate from the pace so far, once some audio is transcribed;
    None while there is nothing to go on."""
    if transcription.status != Status.RUNNING or not transcription.started_at:
        return None
    if transcription.stage != Stage.TRANSCRIBING or transcription.chunks_done < 1:
        return None
    fraction = overall_percent(transcription) / 100.0
    elapsed_s = ((now or timezone.now()) - transcription.started_at).total_seconds()
    return max(0, round(elapsed_s * (1.0 - fraction) / fraction))
