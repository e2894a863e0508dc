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
    Stage.POLISHING: (95.0, 97.0),
    Stage.SPEAKERS: (97.0, 98.0),
    Stage.SAVING: (98.0, 99.0),
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


# Chunks done before the pace is taken as a guide: the first one also pays for
# warming up the model.
MIN_CHUNKS_FOR_ESTIMATE = 2


def seconds_left(transcription, now=None):
    """A rough estimate of the transcription's time left, from the pace of the
    chunks done since transcribing began (downloading, reading the audio and
    loading the model are behind it), once a few are done; None while there is
    nothing to go on. The text stages after it take a few percent of that."""
    if transcription.status != Status.RUNNING or transcription.stage != Stage.TRANSCRIBING:
        return None
    done, total = transcription.chunks_done, transcription.chunks_total
    since = transcription.transcribing_started_at
    if since is None or not MIN_CHUNKS_FOR_ESTIMATE <= done < total:
        return None
    elapsed_s = ((now or timezone.now()) - since).total_seconds()
    return max(0, round(elapsed_s / done * (total - done)))
