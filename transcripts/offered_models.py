"""The speech models this site offers, from the STT_MODELS setting, and the
rules both sides apply to them: which languages a model takes, and which queue
its jobs wait in (a worker serves the queues of the models it has).

STT_MODELS lists one model per entry, separated by commas or new lines:

    NAME=ENGINE:SOURCE[:LANGUAGES]

- NAME: what people pick and API clients send (letters, digits, . _ -);
- ENGINE: `ctc` (transformers wav2vec2/HuBERT-style) or `whisper` (faster-whisper);
- SOURCE: a Hugging Face hub id or a local folder (no ':' in it);
- LANGUAGES: `en`, other codes joined by `+` (`de+fr`), or `multilingual`
  (every language Whisper knows, with auto-detection). Default: `en` for ctc,
  `multilingual` for whisper.

The first entry is the site's default. Without STT_MODELS the site offers one
model, STT_MODEL, a CTC model for English: the shorthand of a single-model site.
"""

import functools
import re
from dataclasses import dataclass

from django.conf import settings

from timedtext.languages import LANGUAGE_NAMES, WHISPER_LANGUAGES, display_name

ENGINES = ("ctc", "whisper")
DEFAULT_QUEUE = "transcribe"  # the default model's queue: the queue of a single-model site
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


@dataclass(frozen=True)
class OfferedModel:
    name: str
    engine: str  # "ctc" or "whisper"
    source: str  # hub id or folder
    languages: tuple[str, ...]  # the codes it transcribes
    queue: str  # the RQ queue its jobs wait in

    @property
    def detects_language(self):
        """Whisper finds the language itself; a CTC model knows its own."""
        return self.engine == "whisper" and len(self.languages) > 1

    @property
    def english_only(self):
        return self.languages == ("en",)

    def language_for(self, code):
        """The language a job asks for: '' to detect it, or a code. `code` ''
        means "not chosen": detection where the model can, else its language.
        ValueError with a message for the person otherwise."""
        if not code:
            return "" if self.detects_language else self.languages[0]
        if code in self.languages:
            return code
        asked = display_name(code)
        if self.english_only:
            raise ValueError(f"The model {self.name} understands English only; it cannot transcribe {asked}.")
        raise ValueError(f"The model {self.name} cannot transcribe {asked}.")


def parse_offered_models(spec, shorthand_source):
    """The offered models of an STT_MODELS value (ValueError naming the bad
    entry), or the single CTC model `shorthand_source` when it is empty."""
    entries = [entry.strip() for entry in re.split(r"[,\n]", spec or "") if entry.strip()]
    if not entries:
        return (OfferedModel(shorthand_source, "ctc", shorthand_source, ("en",), DEFAULT_QUEUE),)
    models = tuple(parse_entry(entry, DEFAULT_QUEUE if i == 0 else None) for i, entry in enumerate(entries))
    names = [model.name for model in models]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"model names must differ; {', '.join(duplicates)} is listed twice")
    return models


def parse_entry(entry, queue):
    name, equals, rest = entry.partition("=")
    engine, colon, rest = rest.partition(":")
    name, engine = name.strip(), engine.strip()
    if not (equals and colon and rest.strip()):
        raise ValueError(f"{entry!r} is not NAME=ENGINE:SOURCE[:LANGUAGES]")
    if not _NAME.match(name):
        raise ValueError(f"{name!r}: a model name is letters, digits, '.', '_' and '-'")
    if engine not in ENGINES:
        raise ValueError(f"{entry!r}: the engine is one of {', '.join(ENGINES)}, not {engine!r}")
    parts = [part.strip() for part in rest.split(":")]
    if len(parts) > 2:
        raise ValueError(f"{entry!r}: a source cannot contain ':'")
    source = parts[0]
    languages = parse_languages(parts[1] if len(parts) == 2 else "", engine, entry)
    return OfferedModel(name, engine, source, languages, queue or f"{DEFAULT_QUEUE}-{name}")


def parse_languages(text, engine, entry):
    if not text:
        return WHISPER_LANGUAGES if engine == "whisper" else ("en",)
    if text == "multilingual":
        if engine != "whisper":
            raise ValueError(f"{entry!r}: only Whisper detects languages; list a CTC model's languages (en, de+fr)")
        return WHISPER_LANGUAGES
    codes = tuple(code.strip() for code in text.split("+"))
    unknown = [code for code in codes if code not in LANGUAGE_NAMES]
    if unknown:
        raise ValueError(f"{entry!r}: unknown language code {unknown[0]!r}")
    return codes


@functools.lru_cache(maxsize=8)
def _parsed(spec, shorthand_source):
    return parse_offered_models(spec, shorthand_source)


def offered_models():
    """The site's offered models, default first (read from the settings now,
    so that tests and a reload see a change)."""
    return _parsed(settings.STT_MODELS, settings.STT_MODEL)


def default_model():
    return offered_models()[0]


def find_model(name):
    """The offered model called `name`, or None."""
    return next((model for model in offered_models() if model.name == name), None)


def model_of_job(model_name):
    """The offered model that runs a job recorded with `model_name`, or None
    when it is no longer offered. A single-model site (STT_MODEL alone) runs
    every job with its model: STT_MODEL may name a hub id on the web server and
    a local folder on an offline worker, and jobs from before a change of
    STT_MODEL run with the new one."""
    if not (settings.STT_MODELS or "").strip():
        return default_model()
    return find_model(model_name)


def queue_name(model_name):
    """The queue of a model's jobs. A job whose model is no longer offered
    goes to the default queue, where the worker fails it with a message."""
    model = model_of_job(model_name)
    return model.queue if model else DEFAULT_QUEUE

