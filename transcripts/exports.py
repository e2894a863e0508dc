"""Transcript downloads as pure functions of segments: plain text, SubRip,
WebVTT and JSON.

A segment is anything with start_s, end_s, text and words: a Segment row (words
are dicts {"word", "start", "end"}, and original_text tells whether the owner
edited it) or the pipeline's TimedSegment (words are Word objects). Used by the
download views and by `manage.py transcribe`.
"""

import json

from .subtitles import CueOptions, TimedWord, build_cues

FORMATS = ("txt", "srt", "vtt", "json")
CONTENT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
}

# Plain text: a pause this long starts a new paragraph; so does a segment
# boundary once a paragraph has PARAGRAPH_CHARS, or a shorter pause inside a
# segment once it has twice that.
PARAGRAPH_PAUSE_S = 2.0
PARAGRAPH_CHARS = 400
PARAGRAPH_SOFT_PAUSE_S = 0.5


def is_edited(segment):
    return getattr(segment, "original_text", segment.text) != segment.text


def model_words(segment):
    """The word times the model gave, as TimedWords (both word shapes)."""
    words = []
    for word in segment.words or ():
        if isinstance(word, dict):
            words.append(TimedWord(word["word"], float(word["start"]), float(word["end"])))
        else:
            words.append(TimedWord(word.word, float(word.start_s), float(word.end_s)))
    return words


def timed_words(segment):
    """The segment's words with times. The model's word times when they still
    match the text; after an edit (or without word times) the text's words share
    the segment's time in proportion to their length."""
    tokens = segment.text.split()
    timed = model_words(segment)
    if not is_edited(segment) and len(timed) == len(tokens):
        return [TimedWord(token, word.start_s, word.end_s) for token, word in zip(tokens, timed)]
    return proportional_words(tokens, float(segment.start_s), float(segment.end_s))


def proportional_words(tokens, start_s, end_s):
    weights = [len(token) + 1 for token in tokens]
    total = sum(weights)
    words, position_s = [], start_s
    for token, weight in zip(tokens, weights):
        length_s = (end_s - start_s) * weight / total
        words.append(TimedWord(token, position_s, position_s + length_s))
        position_s += length_s
    return words


def to_txt(segments):
    paragraphs, current, current_chars, last_end_s = [], [], 0, None
    for segment in segments:
        for position, word in enumerate(timed_words(segment)):
            pause_s = word.start_s - last_end_s if last_end_s is not None else 0.0
            new_paragraph = current and (
                pause_s >= PARAGRAPH_PAUSE_S
                or (position == 0 and current_chars >= PARAGRAPH_CHARS)
                or (pause_s >= PARAGRAPH_SOFT_PAUSE_S and current_chars >= 2 * PARAGRAPH_CHARS)
            )
            if new_paragraph:
                paragraphs.append(" ".join(current))
                current, current_chars = [], 0
            current.append(word.text)
            current_chars += len(word.text) + 1
            last_end_s = word.end_s
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def cues_for(segments, options=None):
    words = [word for segment in segments for word in timed_words(segment)]
    return build_cues(words, options or CueOptions())


def timestamp(seconds, separator):
    total_ms = max(0, round(seconds * 1000))
    hours, rest_ms = divmod(total_ms, 3_600_000)
    minutes, rest_ms = divmod(rest_ms, 60_000)
    secs, ms = divmod(rest_ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def to_srt(segments, options=None):
    blocks = [
        f"{number}\n{timestamp(cue.start_s, ',')} --> {timestamp(cue.end_s, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues_for(segments, options), start=1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text):
    # "-->" and markup are not allowed in WebVTT cue text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments, options=None):
    blocks = ["WEBVTT\n"]
    for cue in cues_for(segments, options):
        blocks.append(f"{timestamp(cue.start_s, '.')} --> {timestamp(cue.end_s, '.')}\n{_vtt_escape(cue.text)}\n")
    return "\n".join(blocks)


def to_json(segments, title="", duration_s=None):
    segments = list(segments)
    if duration_s is None:
        duration_s = max((float(segment.end_s) for segment in segments), default=0.0)
    items = []
    for position, segment in enumerate(segments):
        edited = is_edited(segment)
        items.append(
            {
                "id": getattr(segment, "index", position),
                "start": round(float(segment.start_s), 3),
                "end": round(float(segment.end_s), 3),
                "text": segment.text,
                "edited": edited,
                # Word times belong to the model's words; an edit makes them stale.
                "words": []
                if edited
                else [
                    {"word": word.text, "start": round(word.start_s, 3), "end": round(word.end_s, 3)}
                    for word in model_words(segment)
                ],
            }
        )
    document = {
        "title": title,
        "duration": round(float(duration_s), 3),
        "text": " ".join(item["text"] for item in items if item["text"]),
        "segments": items,
    }
    # No indent: with one, json uses its slow pure-Python encoder.
    return json.dumps(document, ensure_ascii=False) + "\n"


def render(fmt, segments, title="", *, duration_s=None, cue_options=None):
    """(content, content_type) of the transcript in `fmt` (one of FORMATS)."""
    if fmt == "txt":
        content = to_txt(segments)
    elif fmt == "srt":
        content = to_srt(segments, cue_options)
    elif fmt == "vtt":
        content = to_vtt(segments, cue_options)
    elif fmt == "json":
        content = to_json(segments, title=title, duration_s=duration_s)
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return content, CONTENT_TYPES[fmt]


def to_tsv(segments):
    """whisper's TSV (whisper-asr-webservice's output=tsv): start and end in
    integer milliseconds, one segment a line."""
    rows = ["start\tend\ttext"]
    for segment in segments:
        text = " ".join(segment.text.split())
        rows.append(f"{round(float(segment.start_s) * 1000)}\t{round(float(segment.end_s) * 1000)}\t{text}")
    return "\n".join(rows) + "\n"
