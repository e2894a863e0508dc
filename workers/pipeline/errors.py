"""Errors a user can read. The job stores str(exc) on its row and shows it as it
is; any other exception is a bug and keeps its traceback for admins.

Problems with the file itself (unreadable, a playlist, no sound) are
guards.media.MediaError, raised while probing and decoding."""

from pathlib import Path


class PipelineError(Exception):
    """The message is shown on the job page as it is."""


class TrimError(PipelineError):
    """The trim range lies outside the file."""


class ModelLoadError(PipelineError):
    """A model could not be loaded. The message names the model and the reason,
    not how to configure the server: that is for the caller to add."""

    def __init__(self, model_name, reason):
        super().__init__(f"The model {model_name!r} could not be loaded: {reason}.")
        self.model_name = model_name
        self.reason = reason


class PrecisionError(PipelineError):
    """A precision this hardware cannot run; the message says which would."""


class UnsupportedLanguageError(PipelineError):
    """The model cannot transcribe (or detect) the language asked for."""


def load_failure_reason(model_name, exc):
    """The first line of why `model_name` (a hub id or a folder) did not load."""
    if model_name.startswith(("/", ".", "~")) and not Path(model_name).expanduser().exists():
        return "there is no such folder"
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first_line.rstrip(". ")
