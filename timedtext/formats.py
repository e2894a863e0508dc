"""Every way a transcript is written out, as one table of pure renderers.

    FORMATS[name].render(transcript, options) -> str

The pages' downloads, the API (its downloads, OpenAI's and whisper-asr-
webservice's answers) and `manage.py transcribe` all render through this table,
so a format looks the same wherever it is asked for. Renderers read only the
Transcript: segment texts and their words with times (see words.py for the
words of an edited segment), and who said them.

Speakers: segments are cut where the speaker changes, so a segment's speaker
is the one every renderer uses (an edited segment's words carry none). txt
starts a "Name: " paragraph, SRT prefixes "Name: " and WebVTT a <v Name> voice
tag where the speaker changes; a subtitle cue never holds two speakers.
"""

import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Callable

from .cues import CueOptions, build_cues
from .languages import language_name
from .words import Segment, Transcript

# Plain text: a pause this long starts a new paragraph; so does a segment
# boundary once a paragraph has PARAGRAPH_CHARS, or a shorter pause inside a
# segment once it has twice that.
PARAGRAPH_PAUSE_S = 2.0
PARAGRAPH_CHARS = 400
PARAGRAPH_SOFT_PAUSE_S = 0.5
GRANULARITIES = ("word", "segment")


@dataclass(frozen=True)
class RenderOptions:
    """cues: how subtitles break (srt, vtt); granularities: what OpenAI's
    verbose_json lists ("segment" and/or "word"; none means segments)."""

    cues: CueOptions = field(default_factory=CueOptions)
    granularities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str  # of a downloaded file
    content_type: str
    render: Callable[[Transcript, RenderOptions], str]


def timestamp(seconds, separator):
    total_ms = max(0, round(seconds * 1000))
    hours, rest_ms = divmod(total_ms, 3_600_000)
    minutes, rest_ms = divmod(rest_ms, 60_000)
    secs, ms = divmod(rest_ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def to_txt(transcript, options=RenderOptions()):
    paragraphs, current, current_chars, last_end_s = [], [], 0, None
    speaker = None
    for segment in transcript.segments:
        name = transcript.speaker_name(segment.speaker)
        for position, word in enumerate(segment.words):
            pause_s = word.start_s - last_end_s if last_end_s is not None else 0.0
            new_paragraph = current and (
                (name is not None and name != speaker)
                or pause_s >= PARAGRAPH_PAUSE_S
                or (position == 0 and current_chars >= PARAGRAPH_CHARS)
                or (pause_s >= PARAGRAPH_SOFT_PAUSE_S and current_chars >= 2 * PARAGRAPH_CHARS)
            )
            if new_paragraph:
                paragraphs.append(" ".join(current))
                current, current_chars = [], 0
            if not current and name is not None:
                current.append(f"{name}:")
            current.append(word.text)
            current_chars += len(word.text) + 1
            last_end_s = word.end_s
            speaker = name if name is not None else speaker
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def cues_of(transcript, options):
    """(speaker name or None, cue) pairs. Each run of segments of one speaker
    is cut into cues alone, so that no cue holds two speakers; an overlap
    between runs is closed at the next cue's start."""
    spoken = []
    for speaker, run in itertools.groupby(transcript.segments, key=lambda segment: segment.speaker):
        name = transcript.speaker_name(speaker)
        spoken += [(name, cue) for cue in build_cues([word for segment in run for word in segment.words], options.cues)]
    for index in range(len(spoken) - 1):
        (name, cue), next_start_s = spoken[index], spoken[index + 1][1].start_s
        if cue.end_s > next_start_s:
            spoken[index] = (name, replace(cue, end_s=max(next_start_s, cue.start_s + 0.001)))
    return spoken


def to_srt(transcript, options=RenderOptions()):
    blocks, previous = [], None
    for number, (name, cue) in enumerate(cues_of(transcript, options), start=1):
        # SRT has no voices: the name leads the text where the speaker changes.
        text = f"{name}: {cue.text}" if name is not None and name != previous else cue.text
        previous = name
        blocks.append(f"{number}\n{timestamp(cue.start_s, ',')} --> {timestamp(cue.end_s, ',')}\n{text}\n")
    return "\n".join(blocks)


def vtt_escape(text):
    # "-->" and markup are not allowed in WebVTT cue text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(transcript, options=RenderOptions()):
    blocks = ["WEBVTT\n"]
    for name, cue in cues_of(transcript, options):
        text = vtt_escape(cue.text)
        if name is not None:
            # A voice tag's annotation ends at ">" and may not hold a line break.
            text = f"<v {vtt_escape(' '.join(name.split()))}>{text}"
        blocks.append(f"{timestamp(cue.start_s, '.')} --> {timestamp(cue.end_s, '.')}\n{text}\n")
    return "\n".join(blocks)


def plain_word(word):
    """A word as OpenAI's and whisper's answers show it: text and times only."""
    return {"word": word.text, "start": round(word.start_s, 3), "end": round(word.end_s, 3)}


def segment_dict(segment: Segment, index, with_words=True, speakers=()):
    """A segment as our JSON shows it: the .json download, the API's segments
    and the job page's data. `speakers`: the transcript's names by index; the
    speaker is null where speakers were not told apart."""

    def name(speaker):
        return speakers[speaker] if speaker is not None and 0 <= speaker < len(speakers) else None

    item = {
        "index": index,
        "start": round(float(segment.start_s), 3),
        "end": round(float(segment.end_s), 3),
        "text": segment.text,
        "edited": segment.edited,
        "speaker": name(segment.speaker),
    }
    if with_words:
        item["words"] = [
            {**plain_word(word), "speaker": name(segment.speaker if word.speaker is None else word.speaker)}
            if speakers
            else plain_word(word)
            for word in segment.words
        ]
    return item


def speakers_list(transcript):
    return [{"id": index, "name": name} for index, name in enumerate(transcript.speakers)]


def to_json(transcript, options=RenderOptions()):
    document = {
        "title": transcript.title,
        "duration": round(float(transcript.duration_s), 3),
        "language": transcript.language,
        "text": transcript.text,
        "summary": transcript.summary,
        "speakers": speakers_list(transcript),
        "segments": [
            segment_dict(segment, index, speakers=transcript.speakers)
            for index, segment in enumerate(transcript.segments)
        ],
    }
    # No indent: with one, json uses its slow pure-Python encoder.
    return json.dumps(document, ensure_ascii=False) + "\n"


def to_tsv(transcript, options=RenderOptions()):
    """whisper's TSV (whisper-asr-webservice's output=tsv): start and end in
    integer milliseconds, one segment a line."""
    rows = ["start\tend\ttext"]
    for segment in transcript.segments:
        text = " ".join(segment.text.split())
        rows.append(f"{round(float(segment.start_s) * 1000)}\t{round(float(segment.end_s) * 1000)}\t{text}")
    return "\n".join(rows) + "\n"


def whisper_segment(index, segment):
    # Whisper's per-segment decoding statistics mean nothing for other engines;
    # neutral values keep the clients that read them working.
    return {
        "id": index,
        "seek": round(segment.start_s * 100),
        "start": round(segment.start_s, 3),
        "end": round(segment.end_s, 3),
        "text": segment.text,
        "tokens": [],
        "temperature": 0.0,
        "avg_logprob": 0.0,
        "compression_ratio": 1.0,
        "no_speech_prob": 0.0,
    }


def to_openai_json(transcript, options=RenderOptions()):
    return json.dumps({"text": transcript.text}, ensure_ascii=False)


def to_openai_verbose_json(transcript, options=RenderOptions()):
    """OpenAI's verbose_json: segments unless only words were asked for, words when asked for."""
    duration_s = round(float(transcript.duration_s or 0.0), 3)
    body = {
        "task": "transcribe",
        "language": language_name(transcript.language),  # OpenAI names it: "english", "german"
        "duration": duration_s,
        "text": transcript.text,
        "usage": {"type": "duration", "seconds": duration_s},
    }
    if "segment" in options.granularities or not options.granularities:
        body["segments"] = [whisper_segment(index, segment) for index, segment in enumerate(transcript.segments)]
    if "word" in options.granularities:
        body["words"] = [plain_word(word) for word in transcript.words]
    return json.dumps(body, ensure_ascii=False)


def diarized_label(transcript, speaker):
    """OpenAI labels unknown speakers "A", "B", ...; ours have names ("Speaker
    1" until a person names them). Without speakers, everything is "A"."""
    return transcript.speaker_name(speaker) or "A"


def to_openai_diarized_json(transcript, options=RenderOptions()):
    """OpenAI's diarized_json (TranscriptionDiarized): spoken segments with a
    speaker label each."""
    duration_s = round(float(transcript.duration_s or 0.0), 3)
    segments = [
        {
            "type": "transcript.text.segment",
            "id": f"seg_{index}",
            "start": round(segment.start_s, 3),
            "end": round(segment.end_s, 3),
            "text": segment.text,
            "speaker": diarized_label(transcript, segment.speaker),
        }
        for index, segment in enumerate(transcript.segments)
        if segment.text
    ]
    body = {
        "task": "transcribe",
        "duration": duration_s,
        "text": transcript.text,
        "segments": segments,
        "usage": {"type": "duration", "seconds": duration_s},
    }
    return json.dumps(body, ensure_ascii=False)


def to_whisper_json(transcript, options=RenderOptions()):
    """whisper's result dict (whisper-asr-webservice's output=json): text,
    segments with their words, and the language code."""
    segments = []
    for index, segment in enumerate(transcript.segments):
        item = whisper_segment(index, segment)
        item["words"] = [{**plain_word(word), "probability": 1.0} for word in segment.words]
        segments.append(item)
    return json.dumps({"text": transcript.text, "segments": segments, "language": transcript.language}, ensure_ascii=False)


FORMATS = {
    fmt.name: fmt
    for fmt in (
        Format("txt", "txt", "text/plain; charset=utf-8", to_txt),
        Format("srt", "srt", "application/x-subrip; charset=utf-8", to_srt),
        Format("vtt", "vtt", "text/vtt; charset=utf-8", to_vtt),
        Format("json", "json", "application/json", to_json),
        Format("tsv", "tsv", "text/tab-separated-values; charset=utf-8", to_tsv),
        Format("openai_json", "json", "application/json", to_openai_json),
        Format("openai_verbose_json", "json", "application/json", to_openai_verbose_json),
        Format("openai_diarized_json", "json", "application/json", to_openai_diarized_json),
        Format("whisper_json", "json", "application/json", to_whisper_json),
    )
}
# What the pages and the async API offer as downloads.
DOWNLOADS = ("txt", "srt", "vtt", "json")


def render(fmt, transcript: Transcript, options: RenderOptions = RenderOptions()):
    """(content, content_type) of the transcript in format `fmt`."""
    try:
        chosen = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return chosen.render(transcript, options), chosen.content_type
