"""The whole pipeline as one call: media file in, timed transcript out."""

import numpy as np

from timedtext import Segment, Transcript

from .audio import decode_audio
from .cuts import chunk_spans, plan_cuts
from .silence import find_silences
from .types import SAMPLE_RATE, Span, TranscribeOptions

# A chunk whose loudest sample is below one 16-bit step is digital silence: it
# gets empty text without a forward, so hours of silence cost no model time.
DIGITAL_SILENCE_PEAK = 1.0 / 32768


def transcribe_file(
    path, engine, options: TranscribeOptions = TranscribeOptions(), on_plan=None, on_progress=None, plan=None, done=None
) -> Transcript:
    """Decode once (trimmed), split at silences, transcribe the chunks with
    `engine` (see engines/__init__.py).

    on_plan(list[Span]) is called once the chunks are known; on_progress(done,
    total, {chunk_index: Segment}) after each batch. Segment times are
    relative to the file (the trim start added back) and cover the trimmed range
    without gaps or overlaps.

    Resuming: `plan` is the list of chunk spans an earlier attempt made for the
    same file and options, `done` the {chunk_index: Segment} it finished; those
    chunks are not transcribed again. A plan that does not fit the audio is
    ignored, and `done` with it."""
    audio = decode_audio(path, options.start_s, options.end_s)
    offset_s = options.start_s or 0.0
    duration_s = audio.size / SAMPLE_RATE
    if plan and plan_fits(plan, offset_s, duration_s):
        spans = list(plan)
        segments = [(done or {}).get(index) for index in range(len(spans))]
    else:
        cuts = plan_cuts(find_silences(audio, SAMPLE_RATE, options.split), duration_s, options.split)
        spans = chunk_spans(cuts, duration_s, offset_s)
        segments = [None] * len(spans)
    if on_plan is not None:
        on_plan(spans)
    report = on_progress or (lambda done, total, finished: None)

    left = {
        index: audio[sample_index(span.start_s - offset_s) : sample_index(span.end_s - offset_s)]
        for index, span in enumerate(spans)
        if segments[index] is None
    }
    finished_before = len(spans) - len(left)
    silent = [i for i, chunk in left.items() if chunk.size == 0 or np.abs(chunk).max() < DIGITAL_SILENCE_PEAK]
    for index in silent:
        segments[index] = Segment(spans[index].start_s, spans[index].end_s, "")
    if silent:
        report(finished_before + len(silent), len(spans), {index: segments[index] for index in silent})

    spoken = [i for i in left if segments[i] is None]

    def on_batch(done_count, _total, finished):
        by_chunk = {}
        for input_index, segment in finished.items():
            index = spoken[input_index]
            # The span's own times, so that segments meet exactly at the cuts.
            segments[index] = Segment(spans[index].start_s, spans[index].end_s, segment.text, segment.words)
            by_chunk[index] = segments[index]
        report(finished_before + len(silent) + done_count, len(spans), by_chunk)

    if spoken:
        engine.transcribe([left[i] for i in spoken], [spans[i].start_s for i in spoken], on_batch)
    return Transcript(segments=tuple(segments), duration_s=duration_s)


def plan_fits(plan: list[Span], offset_s, duration_s):
    """An earlier plan covers exactly this audio: same start, same end, no gaps."""
    tolerance_s = 0.5 / SAMPLE_RATE
    edges_meet = all(abs(a.end_s - b.start_s) <= tolerance_s for a, b in zip(plan, plan[1:]))
    return (
        edges_meet
        and abs(plan[0].start_s - offset_s) <= tolerance_s
        and abs(plan[-1].end_s - (offset_s + duration_s)) <= tolerance_s
    )


def sample_index(seconds):
    return int(round(seconds * SAMPLE_RATE))
