"""The two small models the speakers stage runs, loaded from files on disk.

- Voice activity: silero-vad's TorchScript model (MIT), shipped inside the
  silero-vad wheel as silero_vad/data/silero_vad.jit.
- Voice embeddings: Resemblyzer's voice encoder (Apache-2.0), a 3-layer
  LSTM over 40 mel bands, shipped inside the Resemblyzer wheel as
  resemblyzer/pretrained.pt.

Neither package is imported: Resemblyzer's __init__ imports webrtcvad (a
source-only package we do not install) and both pull in more than we run. We
find their folders with importlib and load the weight files ourselves, so the
same code loads a copy anywhere on disk (an operator's SPEAKER_ENCODER path).
"""

import functools
import importlib.util
import warnings
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..types import SAMPLE_RATE

ENCODER_PACKAGE_FILE = ("resemblyzer", "pretrained.pt")
VAD_PACKAGE_FILE = ("silero_vad", "data/silero_vad.jit")
# What "default" names, for settings and messages.
DEFAULT_ENCODER = "resemblyzer"
DEFAULT_VAD = "silero-vad"

# Resemblyzer's front end (its hparams.py): 25 ms windows every 10 ms, 40 mel
# bands of the power spectrum (not log), at 16 kHz.
MEL_BANDS = 40
FFT_SAMPLES = 400
HOP_SAMPLES = 160
HIDDEN_SIZE = 256
LSTM_LAYERS = 3


def packaged_file(package, relative):
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / relative


def resolve_weights(source, default_name, package_file):
    """`source` is None or the default's name (the file inside its package), a
    weight file, or a folder holding one with the packaged file's name."""
    if source in (None, "", default_name):
        path = packaged_file(*package_file)
        if path is None or not path.is_file():
            raise ModelLoadError(default_name, f"the {package_file[0]} package is not installed")
        return path
    path = Path(source).expanduser()
    if path.is_dir():
        path = path / Path(package_file[1]).name
    if not path.is_file():
        raise ModelLoadError(str(source), "there is no such file")
    return path


class VoiceEncoder:
    """Resemblyzer's network: mel frames in, one L2-normalised 256-value voice
    embedding per window out."""

    def __init__(self, state_dict):
        import torch

        self.torch = torch
        self.lstm = torch.nn.LSTM(MEL_BANDS, HIDDEN_SIZE, LSTM_LAYERS, batch_first=True)
        self.linear = torch.nn.Linear(HIDDEN_SIZE, HIDDEN_SIZE)
        module = torch.nn.ModuleDict({"lstm": self.lstm, "linear": self.linear})
        # strict: a file of another shape must fail here, not embed nonsense.
        module.load_state_dict({k: v for k, v in state_dict.items() if k.split(".")[0] in module}, strict=True)
        module.eval()
        self.mel_filters = torch.from_numpy(mel_filterbank())
        self.window = torch.hann_window(FFT_SAMPLES, periodic=True)

    def mel_frames(self, audio):
        """(frames, 40) power mel spectrogram, as librosa.feature.melspectrogram
        computes it for Resemblyzer (centred frames, zero padding)."""
        torch = self.torch
        samples = torch.as_tensor(audio, dtype=torch.float32)
        padded = torch.nn.functional.pad(samples, (FFT_SAMPLES // 2, FFT_SAMPLES // 2))
        spectrum = torch.stft(padded, FFT_SAMPLES, HOP_SAMPLES, window=self.window, center=False, return_complex=True)
        return (self.mel_filters @ spectrum.abs().pow(2)).T

    def embed(self, mel_batch):
        """(windows, frames, 40) mels → (windows, 256) numpy embeddings."""
        with self.torch.inference_mode():
            _, (hidden, _) = self.lstm(mel_batch)
            raw = self.torch.relu(self.linear(hidden[-1]))
            return self.torch.nn.functional.normalize(raw, dim=1).numpy()


def mel_filterbank():
    """Slaney-style mel filters (librosa's default), (40, 201)."""
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=FFT_SAMPLES, n_mels=MEL_BANDS).astype(np.float32)


@functools.cache
def load_voice_encoder(source=None) -> VoiceEncoder:
    """The voice encoder from `source` (see resolve_weights), loaded once per
    process. Raises ModelLoadError."""
    import torch

    path = resolve_weights(source, DEFAULT_ENCODER, ENCODER_PACKAGE_FILE)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        return VoiceEncoder(checkpoint.get("model_state", checkpoint))
    except Exception as exc:  # unreadable, not a checkpoint, other shapes: one message
        raise ModelLoadError(str(source or DEFAULT_ENCODER), f"{path.name} is not a voice encoder ({exc})") from exc


@functools.cache
def load_vad(source=None):
    """silero-vad's TorchScript model from `source`, loaded once per process.
    Raises ModelLoadError."""
    import torch

    path = resolve_weights(source, DEFAULT_VAD, VAD_PACKAGE_FILE)
    try:
        with warnings.catch_warnings():
            # TorchScript is deprecated in favour of torch.export; silero-vad
            # ships a TorchScript file, which the pinned torch still loads.
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise ModelLoadError(str(source or DEFAULT_VAD), f"{path.name} is not a TorchScript model ({exc})") from exc
    model.eval()
    return model
