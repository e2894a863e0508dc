"""The whole pipeline as one call: media file in, timed transcript out."""

import numpy as np

from timedtext import Segment, Transcript

from .audio import decode_audio
from .cuts import chunk_spans, plan_cuts
from .silence import find_silences
from .stages.readable import make_readable
from .stages.speakers import add_speakers
from .types import SAMPLE_RATE, Span, TranscribeOptions

# A chunk whose loudest sample is below one 16-bit step is digital silence: it
# gets empty text without a forward, so hours of silence cost no model time.
DIGITAL_SILENCE_PEAK = 1.0 / 32768


def transcribe_file(
    path,
    engine,
    options: TranscribeOptions = TranscribeOptions(),
    on_plan=None,
    on_progress=None,
    on_text_stages=None,
    on_speakers=None,
    on_note=None,
    plan=None,
    done=None,
) -> Transcript:
    """Decode once (trimmed), split at silences, transcribe the chunks with
    `engine` (see engines/__init__.py), then run the text stages options.text
    asks for (stages/readable.py).

    on_plan(list[Span]) is called once the chunks are known; on_progress(done,
    total, {chunk_index: Segment}) after each batch, with the words as heard;
    on_text_stages() before the text stages, on_speakers() before speakers
    are told apart (options.speakers, stages/speakers.py); on_note(StageNote) for each stage
    that could not do its work (the transcript is still delivered). Segment
    times are relative to the file (the trim start added back) and cover the
    trimmed range without gaps or overlaps.

    Resuming: `plan` is the list of chunk spans an earlier attempt made for the
    same file and options, `done` the {chunk_index: Segment} (words as heard) it
    finished; those chunks are not transcribed again. A plan that does not fit
    the audio is ignored, and `done` with it."""
    audio = decode_audio(path, options.start_s, options.end_s)
    offset_s = options.start_s or 0.0
    duration_s = audio.size / SAMPLE_RATE
    if plan and plan_fits(plan, offset_s, duration_s):
        spans = list(plan)
        finished = [(done or {}).get(index) for index in range(len(spans))]
    else:
        cuts = plan_cuts(find_silences(audio, SAMPLE_RATE, options.split), duration_s, options.split)
        spans = chunk_spans(cuts, duration_s, offset_s)
        finished = [None] * len(spans)
    if on_plan is not None:
        on_plan(spans)
    decoding, notes = engine.prepare(options.decoding)
    if on_note is not None:
        for note in notes:
            on_note(note)

    segments = transcribe_chunks(engine, audio, offset_s, spans, finished, decoding, on_progress)
    if options.text.any:
        if on_text_stages is not None:
            on_text_stages()
        segments = make_readable(segments, options.text, on_note)
    transcript = Transcript(segments=tuple(segments), duration_s=duration_s)
    if options.speakers is not None:
        # After the text stages: a sentence re-cut must not join two speakers.
        if on_speakers is not None:
            on_speakers()
        transcript = add_speakers(transcript, audio, offset_s, options.speakers, on_note)
    return transcript


def transcribe_chunks(engine, audio, offset_s, spans, finished, decoding, on_progress=None):
    """One Segment per chunk, timed by its span, its words as heard; the chunks
    in `finished` (an earlier attempt's) are kept as they are."""
    segments = list(finished)
    chunks = {
        index: audio[sample_index(span.start_s - offset_s) : sample_index(span.end_s - offset_s)]
        for index, span in enumerate(spans)
        if segments[index] is None
    }
    silent = [i for i, chunk in chunks.items() if chunk.size == 0 or np.abs(chunk).max() < DIGITAL_SILENCE_PEAK]
    for index in silent:
        segments[index] = Segment(spans[index].start_s, spans[index].end_s, "")
    done = len(spans) - len(chunks) + len(silent)
    if silent and on_progress is not None:
        on_progress(done, len(spans), {index: segments[index] for index in silent})

    for wave in waves([i for i in chunks if segments[i] is None]):

        def on_batch(_done, _total, batch, wave=wave):
            nonlocal done
            by_chunk = {}
            for input_index, segment in batch.items():
                index = wave[input_index]
                # The span's own times, so that segments meet exactly at the cuts.
                segments[index] = Segment(
                    spans[index].start_s, spans[index].end_s, segment.text, segment.words, heard_words=segment.words
                )
                by_chunk[index] = segments[index]
            done += len(batch)
            if on_progress is not None:
                on_progress(done, len(spans), by_chunk)

        engine.transcribe([chunks[i] for i in wave], [spans[i].start_s for i in wave], on_batch, decoding)
    return segments


def waves(indices):
    """`indices` in time order, in waves of 1, 2, 4, ... chunks, each given to
    the engine on its own: the first words show after one chunk's time, and a
    few chunks give a pace for the time left, even where the engine's memory
    budget would take the whole file in one batch (a GPU)."""
    result, position, size = [], 0, 1
    while position < len(indices):
        result.append(indices[position : position + size])
        position += size
        size *= 2
    return result


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
