"""How many speakers a job asks for, as a person or a client writes it: "off",
"auto", a number ("3") or a range ("2-4"). One reading for the form and the API."""

from .models import SpeakersMode

MAX_SPEAKERS = 20
SPEAKERS_HELP = 'How many people speak: "auto" to find out, a number ("2"), a range ("2-4"), or "off".'


class BadSpeakerCount(ValueError):
    """The message says what is accepted."""


def parse_speaker_count(text):
    """(mode, min, max) for the Transcription's speakers fields."""
    value = (text or "").strip().lower().replace("–", "-").replace(" ", "")
    if value in ("", "off", "no", "none"):
        return SpeakersMode.OFF, None, None
    if value in ("auto", "yes"):
        return SpeakersMode.AUTO, None, None
    low, _, high = value.partition("-")
    try:
        fewest = int(low)
        most = int(high) if high else fewest
    except ValueError:
        raise BadSpeakerCount(f"{text!r} is not a number of speakers. {SPEAKERS_HELP}") from None
    if not 1 <= fewest <= most <= MAX_SPEAKERS:
        raise BadSpeakerCount(f"The number of speakers must be between 1 and {MAX_SPEAKERS}, the smaller one first.")
    return SpeakersMode.COUNT, fewest, most


def speaker_count_text(transcription):
    """The reverse of parse_speaker_count, for the API's answers."""
    if transcription.speakers_mode != SpeakersMode.COUNT:
        return transcription.speakers_mode
    if transcription.speakers_min == transcription.speakers_max:
        return str(transcription.speakers_min)
    return f"{transcription.speakers_min}-{transcription.speakers_max}"
