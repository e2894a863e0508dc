"""The Whisper engine: a faster-whisper (CTranslate2) model run on our own
chunks, the windows of all chunks decoded together in batches.

Only our 16 kHz mono float32 numpy chunks go in: PyAV (faster-whisper's own
decoder, with its bundled FFmpeg and no demuxer allow-list) never opens an
upload, and faster-whisper's Silero VAD never runs.

How a chunk is read: like faster-whisper's own `transcribe`, Whisper reads a
30-second window with timestamp tokens, and the next window starts where the
last finished sentence ended ("seek"); a window that ends in an opened,
unfinished sentence (two timestamps, then end-of-text) is resumed there.
Without timestamps (faster-whisper's batched default) Whisper often stops at
the first pause of a window and the rest is lost, and its batched pipeline
drops the unfinished last sentence of every window (measured: WER 12-15 %
against 6 % on our long test file). Chunks are independent, so the windows of
all chunks are decoded together: a chunk's next window joins the queue when its
previous one is back. No window ever holds audio from two chunks.

Device and precision are decided once, in `choose_runtime`: float16 on CUDA,
int8 on CPU. The model is loaded once per worker process (`load_whisper_engine`).
This uses faster-whisper internals (`_split_segments_by_timestamps`,
`add_word_timestamps`, `get_prompt`, `encode`): faster-whisper is pinned, and
tests/pipeline/test_whisper_engine.py checks what is relied on.
"""

import functools
import json
import logging
import struct
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from timedtext import Segment, Word
from timedtext.languages import display_name

from ..errors import ModelLoadError, PrecisionError, UnsupportedLanguageError
from ..types import SAMPLE_RATE, DecodingOptions, StageNote
from .ctc import cores_available

log = logging.getLogger(__name__)

WINDOW_SAMPLES = 30 * SAMPLE_RATE  # Whisper's input window
HOP_SAMPLES = 160  # one 10-ms feature frame
MIN_WINDOW_SAMPLES = SAMPLE_RATE // 10  # a shorter rest of a chunk holds no word: no model call
DIGITAL_SILENCE_PEAK = 1.0 / 32768  # below one 16-bit step, as in ../run.py
DETECTION_WINDOWS = 3  # language detection reads at most this many 30-s windows (90 s)
MAX_INITIAL_TIMESTAMP_INDEX = 50  # a window's first timestamp is at most 1 s in (transcribe's default)
PREPEND_PUNCTUATION = "\"'“¿([{-"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"
PRECISIONS = ("auto", "fp32", "fp16", "int8")
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
LANGUAGE_MODEL_NOT_USED = (
    "The language model file is used by the CTC models' beam search only; this Whisper model transcribed without it."
)


@dataclass(frozen=True)
class Runtime:
    device: str  # "cuda" or "cpu"
    compute_type: str  # CTranslate2's name: "float16", "int8", "float32", "int8_float16"


@dataclass(frozen=True)
class WhisperOptions:
    """How a job's chunks are decoded.

    language: a code ("en", "de"), or None to detect it from the first 90 s
      (an English-only model always uses "en").
    beam_size: 1 is greedy decoding; faster-whisper's transcribe uses 5.
    batch_size: windows decoded together.
    hotwords / initial_prompt: text put before every window, as the "previous
      text" Whisper conditions on: names and terms to spell this way. Each
      window gets the same prompt; the text of earlier windows is not used,
      which keeps windows independent and stops repetition loops spreading.
    no_speech_threshold / log_prob_threshold: Whisper's own silence rule: a
      window is silent when no_speech_prob is above the first and the average
      token log-probability below the second, and its text is dropped. A window
      above no_speech_threshold whose words hold no letter or digit (". . ." on
      room noise) is dropped too, and digital silence is never decoded.
    """

    language: str | None = None
    beam_size: int = 5
    batch_size: int = 8
    hotwords: str | None = None
    initial_prompt: str | None = None
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0

    def __post_init__(self):
        if self.beam_size < 1 or self.batch_size < 1:
            raise ValueError("beam_size and batch_size must be at least 1")


def choose_runtime(precision="auto", cuda_devices=None) -> Runtime:
    """float16 on a GPU, int8 on CPU, unless a precision is asked for."""
    if precision not in PRECISIONS:
        raise PrecisionError(f"Whisper models run in {', '.join(PRECISIONS)}, not {precision!r}.")
    if cuda_devices is None:
        import ctranslate2

        cuda_devices = ctranslate2.get_cuda_device_count()
    if cuda_devices:
        return Runtime("cuda", {"auto": "float16", "fp16": "float16", "fp32": "float32", "int8": "int8_float16"}[precision])
    if precision == "fp16":
        raise PrecisionError("Precision fp16 needs a GPU; on CPU use auto (int8) or fp32.")
    return Runtime("cpu", "float32" if precision == "fp32" else "int8")


def model_folder(source) -> Path:
    """A local folder for `source`: the folder itself, or a hub id (or one of
    faster-whisper's size names, "small") fetched into the Hugging Face cache,
    as transformers' from_pretrained does for CTC models."""
    if source.startswith(("/", ".", "~")) or Path(source).expanduser().is_dir():
        return Path(source).expanduser()
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(source))
    except Exception as exc:  # hub, network and name errors all mean the same to an operator
        raise ModelLoadError(source, f"it could not be fetched from the Hugging Face hub: {first_line(exc)}") from exc


def check_whisper_folder(source, folder) -> Path:
    """`folder` if it holds a CTranslate2 Whisper model, else ModelLoadError.
    faster-whisper fetches a missing tokenizer.json from the hub, so a folder
    without one would hang or fail on a network error: refused here first."""
    if not folder.is_dir():
        raise ModelLoadError(source, "there is no such folder")
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelLoadError(source, f"it is not a Whisper model in CTranslate2 format (it lacks {', '.join(missing)})")
    if model_spec_name(folder / "model.bin") != "WhisperSpec":
        raise ModelLoadError(source, "its model.bin is not a CTranslate2 Whisper model")
    try:
        json.loads((folder / "config.json").read_text(encoding="utf-8"))["alignment_heads"]
    except (ValueError, KeyError, TypeError):
        raise ModelLoadError(source, "its config.json is not a Whisper model's") from None
    return folder


def model_spec_name(model_bin):
    """The spec name in a CTranslate2 model.bin header (uint32 format version,
    uint16 length, the name and a NUL), or None when the file is not one."""
    with open(model_bin, "rb") as stream:
        header = stream.read(4 + 2 + 256)
    if len(header) < 6:
        return None
    (name_length,) = struct.unpack_from("<H", header, 4)
    name = header[6 : 6 + name_length]
    return name.rstrip(b"\0").decode("ascii", "replace") if len(name) == name_length else None


@functools.cache
def load_whisper_engine(source: str, precision: str = "auto", threads: int | None = None) -> "WhisperEngine":
    """The Whisper model `source` (a folder or a hub id), loaded once per
    process and kept. threads: CPU threads (None: the cores this process may
    use). Raises ModelLoadError or PrecisionError."""
    from faster_whisper import WhisperModel

    runtime = choose_runtime(precision)
    folder = check_whisper_folder(source, model_folder(source))
    try:
        model = WhisperModel(
            str(folder),
            device=runtime.device,
            compute_type=runtime.compute_type,
            cpu_threads=threads or cores_available(),
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(source, f"CTranslate2 could not load it: {first_line(exc)}") from exc
    log.info("Whisper model %s on %s in %s", source, runtime.device, runtime.compute_type)
    return WhisperEngine(model, runtime)


@dataclass(frozen=True)
class Window:
    chunk: int  # input index
    start: int  # samples into the chunk
    end: int


@dataclass(frozen=True)
class Decoded:
    text: str
    words: tuple[Word, ...]
    next_start: int  # sample of the chunk where its next window starts


class WhisperEngine:
    def __init__(self, model, runtime: Runtime):
        self.model = model  # a faster_whisper.WhisperModel
        self.runtime = runtime

    @property
    def multilingual(self) -> bool:
        return self.model.model.is_multilingual

    @functools.cached_property
    def languages(self) -> tuple[str, ...]:
        # faster-whisper lists all 100 codes for any multilingual model, but
        # only large-v3 knows "yue": keep the codes whose token the model has.
        if not self.multilingual:
            return ("en",)
        tokenizer = self.model.hf_tokenizer
        return tuple(code for code in self.model.supported_languages if tokenizer.token_to_id(f"<|{code}|>") is not None)

    def with_options(self, options: "WhisperOptions", on_language=None) -> "WhisperJob":
        """This engine with one job's options, offering the engines' plain
        transcribe(chunks, offsets_s, on_batch)."""
        return WhisperJob(self, options, on_language)

    def choose_language(self, requested, chunks) -> tuple[str, float]:
        """(language, probability): the requested one, checked against the
        model, or the one detected in the first 90 s of the chunks."""
        if requested:
            if requested not in self.languages:
                raise UnsupportedLanguageError(unsupported_language_message(requested, self.languages))
            return requested, 1.0
        if not self.multilingual:
            return "en", 1.0
        return self.detect_language(chunks)

    def detect_language(self, chunks) -> tuple[str, float]:
        """Whisper's language guess from up to 3 30-s windows of the chunks,
        read in order until one guess is surer than 0.5."""
        if not self.multilingual:
            raise UnsupportedLanguageError("This model understands English only; it cannot detect languages.")
        audio = np.concatenate([checked_chunk(chunk) for chunk in chunks] or [np.zeros(0, np.float32)])
        audio = audio[: DETECTION_WINDOWS * WINDOW_SAMPLES]
        if audio.size < MIN_WINDOW_SAMPLES or np.abs(audio).max() < DIGITAL_SILENCE_PEAK:
            raise UnsupportedLanguageError("There is no sound to detect a language in.")
        language, probability, _ = self.model.detect_language(audio=audio, language_detection_segments=DETECTION_WINDOWS)
        return language, float(probability)

    def transcribe(self, chunks, offsets_s, on_batch=None, options=WhisperOptions(), on_language=None) -> list[Segment]:
        """One Segment per chunk (16 kHz mono float32 numpy), in input order,
        word times offset by each chunk's offset_s. on_batch(done, total,
        {input_index: Segment}) as chunks finish; on_language(code,
        probability) once the language is chosen (not when there is nothing
        to hear)."""
        chunks = [checked_chunk(chunk) for chunk in chunks]
        finished = {
            index: chunk_segment(chunk, offsets_s[index], [])
            for index, chunk in enumerate(chunks)
            if chunk.size < MIN_WINDOW_SAMPLES
        }
        queue = deque(first_window(index, chunk) for index, chunk in enumerate(chunks) if index not in finished)
        if finished and on_batch is not None:
            on_batch(len(finished), len(chunks), dict(finished))
        if not queue:
            return [finished[index] for index in range(len(chunks))]
        language, probability = self.choose_language(options.language, [chunks[w.chunk] for w in queue])
        if on_language is not None:
            on_language(language, probability)
        decoder = Decoder.make(self.model, language, options)
        decoded = {index: [] for index in range(len(chunks))}  # (window start, Decoded) per chunk
        while queue:
            batch, silent = next_windows(queue, chunks, options.batch_size)
            results = [Decoded("", (), window.end) for window in silent]
            results += self.decode_batch(chunks, offsets_s, batch, decoder) if batch else []
            newly_done = {}
            for window, result in zip(silent + batch, results):
                decoded[window.chunk].append((window.start, result))
                chunk = chunks[window.chunk]
                if chunk.size - result.next_start >= MIN_WINDOW_SAMPLES:
                    queue.append(Window(window.chunk, result.next_start, min(result.next_start + WINDOW_SAMPLES, chunk.size)))
                else:
                    segment = chunk_segment(chunk, offsets_s[window.chunk], decoded[window.chunk])
                    finished[window.chunk] = newly_done[window.chunk] = segment
            if newly_done and on_batch is not None:
                on_batch(len(finished), len(chunks), newly_done)
        return [finished[index] for index in range(len(chunks))]

    def decode_batch(self, chunks, offsets_s, batch, decoder) -> list[Decoded]:
        """Encode and decode the windows of `batch` together, split the tokens
        at their timestamps, align words; one Decoded per window."""
        from faster_whisper.audio import pad_or_trim

        model = self.model
        audio = [chunks[window.chunk][window.start : window.end] for window in batch]
        features = np.stack([pad_or_trim(model.feature_extractor(piece)[..., :-1]) for piece in audio])
        encoder_output = self.encode(features)
        results = model.model.generate(encoder_output, [decoder.prompt] * len(batch), **decoder.generate_kwargs)
        frames = [round(piece.size / HOP_SAMPLES) for piece in audio]
        starts_s = [offsets_s[window.chunk] + window.start / SAMPLE_RATE for window in batch]
        # add_word_timestamps counts times from a whole frame ("seek"); the rest is added back in decoded_window.
        seeks = [round(start_s * model.frames_per_second) for start_s in starts_s]
        splits = [
            model._split_segments_by_timestamps(
                tokenizer=decoder.tokenizer,
                tokens=result.sequences_ids[0],
                time_offset=seek / model.frames_per_second,
                segment_size=size,
                segment_duration=size / model.frames_per_second,
                seek=0,
            )
            for result, seek, size in zip(results, seeks, frames)
        ]
        sentences = [segments for segments, _, _ in splits]
        for segments, seek in zip(sentences, seeks):
            for segment in segments:
                segment["seek"] = seek
        model.add_word_timestamps(sentences, decoder.tokenizer, encoder_output, frames, PREPEND_PUNCTUATION, APPEND_PUNCTUATION, 0.0)
        return [
            self.decoded_window(window, result, segments, read_frames, seek, start_s, size, decoder)
            for window, result, (segments, read_frames, _), seek, start_s, size in zip(batch, results, splits, seeks, starts_s, frames)
        ]

    def encode(self, features):
        """The encoder's output for a batch of windows. On CPU the windows are
        encoded one at a time and only decoding is batched: a batched encoder
        pass cost 1.0-2.5x more CPU time per window there, while batched
        decoding cost half as much (bench/README.md)."""
        if self.runtime.device != "cpu" or len(features) == 1:
            return self.model.encode(features)
        import ctranslate2

        outputs = [np.asarray(self.model.encode(features[i : i + 1])) for i in range(len(features))]
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate(outputs)))

    def decoded_window(self, window, result, segments, read_frames, seek, start_s, size, decoder) -> Decoded:
        fps = self.model.frames_per_second
        # read_frames < size: the window ended inside an unfinished sentence,
        # which goes round again from its start. No progress at all is taken
        # as the whole window, so that a chunk can never loop.
        next_start = window.start + read_frames * HOP_SAMPLES if 0 < read_frames < size else window.end
        if is_silent(result, decoder.options):
            return Decoded("", (), window.end)
        shift_s = start_s - seek / fps
        low_s, high_s = start_s, start_s + size / fps
        words = tuple(
            Word(word["word"].strip(), clamp(word["start"] + shift_s, low_s, high_s), clamp(word["end"] + shift_s, low_s, high_s))
            for segment in segments
            for word in segment.get("words", ())
            if word["word"].strip()
        )
        if result.no_speech_prob > decoder.options.no_speech_threshold and not any(has_letters(w.text) for w in words):
            # Room noise that Whisper itself takes for silence comes out as ". . ." (measured).
            return Decoded("", (), window.end)
        eot = decoder.tokenizer.eot
        text = "".join(decoder.tokenizer.decode([t for t in segment["tokens"] if t < eot]) for segment in segments)
        return Decoded(text.strip(), words, next_start)


@dataclass(frozen=True)
class WhisperJob:
    """A Whisper engine bound to one job's options: the engines' interface."""

    engine: WhisperEngine
    options: WhisperOptions
    on_language: object = None  # on_language(code, probability), or None

    def prepare(self, decoding: DecodingOptions):
        """(decoding, notes): a person's words become Whisper's hotwords (the
        text each window is conditioned on); an n-gram language model is for
        CTC beam search only, so it is dropped with a note."""
        notes = []
        if decoding.lm_path:
            notes.append(StageNote("language model", LANGUAGE_MODEL_NOT_USED))
            decoding = replace(decoding, lm_path=None)
        return decoding, notes

    def transcribe(self, chunks, offsets_s, on_batch=None, decoding=DecodingOptions()) -> list[Segment]:
        options = self.options
        if decoding.words:
            options = replace(options, hotwords=" ".join(decoding.words))
        return self.engine.transcribe(chunks, offsets_s, on_batch, options, self.on_language)


@dataclass(frozen=True)
class Decoder:
    """What stays the same for every window of one job: tokenizer, prompt and
    CTranslate2 generate() arguments (transcribe's, at temperature 0)."""

    tokenizer: object
    prompt: list
    generate_kwargs: dict
    options: WhisperOptions

    @classmethod
    def make(cls, model, language, options):
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        previous = tokenizer.encode(" " + options.initial_prompt.strip()) if options.initial_prompt else []
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=False, hotwords=options.hotwords)
        generate_kwargs = dict(
            beam_size=options.beam_size,
            max_length=model.max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])),
            max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
        )
        return cls(tokenizer, prompt, generate_kwargs, options)


def checked_chunk(chunk):
    # A path or a file object here would be opened by PyAV, outside our guarded decode.
    if not isinstance(chunk, np.ndarray) or chunk.ndim != 1 or chunk.dtype != np.float32:
        raise TypeError("Whisper chunks must be 1-D float32 numpy arrays of 16 kHz audio")
    return chunk


def first_window(index, chunk):
    return Window(index, 0, min(chunk.size, WINDOW_SAMPLES))


def next_windows(queue, chunks, batch_size):
    """(batch, silent): up to batch_size windows for the model, and the
    digital-silence windows met on the way, which get no model call (Whisper
    writes "You" on zeros)."""
    batch, silent = [], []
    while queue and len(batch) < batch_size:
        window = queue.popleft()
        audio = chunks[window.chunk][window.start : window.end]
        (silent if np.abs(audio).max() < DIGITAL_SILENCE_PEAK else batch).append(window)
    return batch, silent


def is_silent(result, options):
    tokens = len(result.sequences_ids[0])
    average_log_probability = result.scores[0] * tokens / (tokens + 1)  # as transcribe computes it
    return result.no_speech_prob > options.no_speech_threshold and average_log_probability < options.log_prob_threshold


def chunk_segment(chunk, offset_s, decoded) -> Segment:
    decoded = [result for _, result in sorted(decoded, key=lambda item: item[0])]
    words = tuple(word for result in decoded for word in result.words)
    text = " ".join(result.text for result in decoded if result.text)
    return Segment(offset_s, offset_s + chunk.size / SAMPLE_RATE, text, words)


def has_letters(text):
    return any(character.isalnum() for character in text)


def clamp(value_s, low_s, high_s):
    return round(min(max(float(value_s), low_s), high_s), 3)


def first_line(exc):
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(". ")


def unsupported_language_message(requested, languages):
    if languages == ("en",):
        return (
            f"This model understands English only; it cannot transcribe {display_name(requested)}. "
            "Choose English or a multilingual model."
        )
    return f"This model does not know the language {display_name(requested)!r}."
