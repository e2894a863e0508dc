"""Errors a user can read. The job stores str(exc) on its row and shows it as it
is; any other exception is a bug and keeps its traceback for admins."""


class PipelineError(Exception):
    """The message is shown on the job page as it is."""


class DecodeError(PipelineError):
    """ffmpeg could not read the file."""


class NoAudioError(PipelineError):
    """The file has no audio stream."""


class EmptyAudioError(PipelineError):
    """The file (or the trimmed range) holds no audio."""


class TrimError(PipelineError):
    """The trim range lies outside the file."""


class UnsafeMediaError(PipelineError):
    """The file is a playlist or list of other files, which we refuse to follow."""


class ModelLoadError(PipelineError):
    """The speech model could not be loaded."""


class DownloadError(PipelineError):
    """A URL could not be fetched."""


class BlockedAddressError(DownloadError):
    """A URL points at an address we refuse to connect to."""
