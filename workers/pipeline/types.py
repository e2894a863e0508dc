"""The small values the pipeline passes between its stages. Times are seconds,
relative to the start of the source file (a trim offset is already added back).
Words, segments and whole transcripts are timedtext's, shared with the site."""

from dataclasses import dataclass, field

from .stages.numerals import NumberOptions
from .stages.punctuation import PunctuationOptions
from .stages.sentences import SentenceOptions

SAMPLE_RATE = 16_000  # what the CTC models expect; decode_audio resamples to it


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float

    @property
    def duration_s(self):
        return self.end_s - self.start_s


@dataclass(frozen=True)
class SplitOptions:
    """How audio is split into chunks for the model (the tutorial's rule).

    min_space_s: a chunk is at least this long, except a whole file shorter than it.
    max_space_s: no chunk is ever longer than this.
    min_silence_s / silence_below_average_db: a silence is at least min_silence_s
    quieter than the file's average loudness minus this many dB.
    """

    min_space_s: float = 25.0
    max_space_s: float = 45.0
    min_silence_s: float = 0.75
    silence_below_average_db: float = 14.0

    def __post_init__(self):
        if not 0 < self.min_space_s < self.max_space_s:
            raise ValueError("need 0 < min_space_s < max_space_s")
        if self.min_silence_s <= 0:
            raise ValueError("min_silence_s must be positive")


@dataclass(frozen=True)
class DecodingOptions:
    """How an engine turns what it heard into words.

    beam_search: CTC beam search (the default: it costs ~0.2% of the model's
    time, see the README) or greedy decoding (the likeliest symbol per frame).
    words: a person's own words and phrases (names, jargon) to prefer; they
    need beam search, which they switch on.
    lm_path: an n-gram language model (ARPA or KenLM binary), None for none.
    beam_size: paths kept per frame. hotword_weight: bonus (natural log) per
    character of a listed word. lm_weight, word_score: the language model's
    scale and a bonus per word that balances it.
    """

    beam_search: bool = True
    words: tuple[str, ...] = ()
    lm_path: str | None = None
    beam_size: int = 25
    hotword_weight: float = 1.0
    lm_weight: float = 0.5
    word_score: float = 1.0

    def __post_init__(self):
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if self.hotword_weight < 0 or self.lm_weight < 0:
            raise ValueError("hotword_weight and lm_weight must not be negative")

    @property
    def uses_beam(self):
        return self.beam_search or bool(self.words) or self.lm_path is not None


@dataclass(frozen=True)
class TextOptions:
    """The text stages run after recognition (stages/): numbers as digits,
    then punctuation and capitals by `punctuation_model` (a hub id or a local
    folder; None: no punctuation), then segments re-cut at sentence ends."""

    numbers: bool = False
    punctuation_model: str | None = None
    number_options: NumberOptions = field(default_factory=NumberOptions)
    punctuation_options: PunctuationOptions = field(default_factory=PunctuationOptions)
    sentence_options: SentenceOptions = field(default_factory=SentenceOptions)

    @property
    def any(self):
        return self.numbers or bool(self.punctuation_model)


@dataclass(frozen=True)
class StageNote:
    """A stage that could not do (all of) its work; the transcript is still
    delivered. `message` is for the person who asked for the job, `detail`
    for administrators (a reason naming server paths, a traceback)."""

    stage: str  # "numbers", "punctuation", "vocabulary", "language model", "speakers"
    message: str
    detail: str = ""


@dataclass(frozen=True)
class SpeakerOptions:
    """How many speakers to look for, and how audio is cut into windows.

    speakers: exactly this many (None: found by `threshold`, within
    min_speakers..max_speakers when those are given). Fewer are returned when the
    audio holds fewer voices than asked for: a speaker is never empty.
    threshold: cosine distance at which two groups of windows stop being merged
    into one speaker (average linkage), measured on real recordings (bench/).
    window_s / step_s: one embedding per window_s of speech, every step_s.
    """

    speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    threshold: float = 0.45
    window_s: float = 1.0
    step_s: float = 0.25
    # Resemblyzer-format voice encoder weights (a file or a folder); None: the
    # one inside the Resemblyzer package.
    encoder: str | None = None

    def __post_init__(self):
        for name in ("speakers", "min_speakers", "max_speakers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.min_speakers and self.max_speakers and self.min_speakers > self.max_speakers:
            raise ValueError("min_speakers must not be more than max_speakers")
        if not 0 < self.threshold < 2:
            raise ValueError("threshold is a cosine distance between 0 and 2")
        if not 0 < self.step_s <= self.window_s:
            raise ValueError("need 0 < step_s <= window_s")

    @property
    def bounds(self):
        """(fewest, most) speakers to return; None where free."""
        if self.speakers:
            return self.speakers, self.speakers
        return self.min_speakers, self.max_speakers


@dataclass(frozen=True)
class TranscribeOptions:
    start_s: float | None = None  # trim: where to start, seconds into the file
    end_s: float | None = None  # trim: where to stop
    split: SplitOptions = field(default_factory=SplitOptions)
    decoding: DecodingOptions = field(default_factory=DecodingOptions)
    text: TextOptions = field(default_factory=TextOptions)
    speakers: SpeakerOptions | None = None  # None: speakers are not told apart

    def __post_init__(self):
        if self.start_s is not None and self.start_s < 0:
            raise ValueError("start_s must not be negative")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
