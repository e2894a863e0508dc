"""The small values the pipeline passes between its stages. Times are seconds,
relative to the start of the source file (a trim offset is already added back).
Words, segments and whole transcripts are timedtext's, shared with the site."""

from dataclasses import dataclass, field

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
class TranscribeOptions:
    start_s: float | None = None  # trim: where to start, seconds into the file
    end_s: float | None = None  # trim: where to stop
    split: SplitOptions = field(default_factory=SplitOptions)

    def __post_init__(self):
        if self.start_s is not None and self.start_s < 0:
            raise ValueError("start_s must not be negative")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
