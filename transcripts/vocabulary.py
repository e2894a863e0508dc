"""A person's own words (names, product words, jargon) for the speech model to
listen for: their list (WordList, the settings page), a job's own words (the
new-transcription form, the API's `words`), and the words of an OpenAI
`prompt` or a whisper `initial_prompt`.

Lists are stored one word or phrase a line. The worker applies them by beam
search with hotwords (workers/pipeline/engines/ctc_beam.py); words the speech
model cannot spell are named in a note on the job."""

import re

from django.conf import settings

from .models import WordList

ENTRY_SEPARATORS = re.compile(r"[\n\r,;]+")
SENTENCE_END = re.compile(r"[.!?]\s+|[.!?]$")
_EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>.,!?:;"
PHRASE_WORDS = 3  # a prompt's comma-separated part this short is taken whole


class TooManyWords(ValueError):
    """The list is over the limits; the message says which."""


def parse_words(text):
    """The words and phrases of `text` (one a line, or separated by commas or
    semicolons), spaces tidied, each once (the first spelling wins)."""
    entries, seen = [], set()
    for part in ENTRY_SEPARATORS.split(text or ""):
        entry = " ".join(part.split())
        if entry and entry.casefold() not in seen:
            seen.add(entry.casefold())
            entries.append(entry)
    return entries


def check_words(entries):
    """`entries`, or TooManyWords with a message for the person."""
    if len(entries) > WordList.MAX_WORDS:
        raise TooManyWords(f"A list may hold {WordList.MAX_WORDS:,} words or phrases; this one has {len(entries):,}.")
    too_long = [entry for entry in entries if len(entry) > WordList.MAX_WORD_CHARS]
    if too_long:
        raise TooManyWords(
            f"A word or phrase may be {WordList.MAX_WORD_CHARS} characters long at most; "
            f"“{too_long[0][:40]}…” is longer."
        )
    return entries


def words_of_prompt(prompt):
    """The words an OpenAI `prompt` or whisper `initial_prompt` offers: a short
    comma-separated list is taken whole ("Kubernetes, Zoë Smith, OAuth"); from
    prose, the words that name something (capitalised inside a sentence, or
    with an inner capital or digit), since listing "the" would only distort."""
    entries = []
    for part in ENTRY_SEPARATORS.split(prompt or ""):
        tokens = part.split()
        if not tokens:
            continue
        if len(tokens) <= PHRASE_WORDS:
            entries.append(" ".join(tokens).strip(_EDGE_PUNCTUATION))
            continue
        for sentence in SENTENCE_END.split(part):
            for position, token in enumerate(sentence.split()):
                word = token.strip(_EDGE_PUNCTUATION)
                if names_something(word, position):
                    entries.append(word)
    return parse_words("\n".join(entries))[: WordList.MAX_WORDS]


def names_something(word, position):
    """A word of prose that names something: capitalised past the start of its
    sentence ("Zoë", "Ångström"), or with a capital or digit inside ("OAuth",
    "iPhone", "GPT4"); plain numbers are not vocabulary."""
    if not any(c.isalpha() for c in word) or not all(c.isalnum() or c in "-'’" for c in word):
        return False
    if any(c.isupper() or c.isdigit() for c in word[1:]):
        return True
    return position > 0 and word[0].isupper()


def words_for_job(transcription):
    """What the worker listens for in `transcription`: its owner's list (when
    the job uses it) and its own words; nothing when the site has word lists off."""
    if not settings.WORD_LISTS:
        return []
    own = WordList.entries_of(transcription.owner_id) if transcription.use_word_list else []
    return parse_words("\n".join([*own, transcription.words]))
