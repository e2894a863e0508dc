"""The CTC engine: a transformers wav2vec2/HuBERT-style CTC model, loaded once
per worker process and run on batches of chunks; each chunk's log-probabilities
are decoded by beam search or greedily (ctc_beam.py), then grouped into timed
words (ctc_greedy.py).

Device and precision are decided once, in `choose_runtime`:
- CUDA when available, in fp16;
- CPU otherwise: bf16 autocast only where the CPU computes bf16 natively
  (avx512_bf16 or amx_bf16; on AVX2-only CPUs bf16 is ~20× slower than fp32),
  else fp32. int8 (dynamic quantisation of the Linear layers) is faster still on
  CPU, but its effect on accuracy is unmeasured, so it is only used when asked.

And which runtime computes the forward (`backend`, the STT_RUNTIME setting):
torch, or ONNX Runtime on the graph exported from the same model (ctc_onnx.py),
fp32 or int8. `auto` is the runtime measured faster for the device: on a CPU
that runs fp32 (no native bf16), ONNX Runtime, whose fp32 forward took 1.2-1.3x
less time than torch's fp32 SDPA forward on hubert-large and peaked lower in
RSS (bench/pipeline_bench.py, README; measured on an AVX-512 CPU, no AVX2-only
one was at hand); torch everywhere else: on a CPU with native bf16, torch's bf16
forward took 0.70x the time of ONNX Runtime's fp32 one and there is no bf16
graph, ONNX Runtime int8 is unmeasured against torch's, and the onnxruntime
wheel here has no CUDA provider (`pipeline_bench --cuda` measures torch fp16,
bf16 and ORT's CUDA provider where a GPU is). The first start on ONNX Runtime
exports the graph (under a minute for the large model, then cached); a model
whose graph cannot be exported or opened runs on torch, with a warning.
"""

import functools
import logging
import math
import os
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np

from timedtext import Segment

from ..errors import ModelLoadError, PrecisionError, load_failure_reason
from ..types import SAMPLE_RATE, DecodingOptions, StageNote
from .ctc_beam import hotwords_of, load_language_model, make_decoder, written_back
from .ctc_greedy import Vocabulary, decode_ids
from .ctc_onnx import OnnxUnavailable, feature_frame_counts, load_onnx_network

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
BACKENDS = ("auto", "torch", "onnxruntime")
# Memory a batch may take, as a share of free GPU memory, or in bytes on CPU
# (cpu_batch_mb): batching gains little on CPU, memory is dear.
CUDA_MEMORY_SHARE = 0.6
CPU_BATCH_MB_DEFAULT = 512
MAX_BATCH_CHUNKS = 64
LANGUAGE_MODEL_UNAVAILABLE = (
    "The language model is not available on the server right now; the words were decoded without it."
)


def unspellable_note(words):
    shown = ", ".join(words[:10]) + (f" and {len(words) - 10} more" if len(words) > 10 else "")
    return f"The speech model cannot spell these words of your list, so they were not used: {shown}."


@dataclass(frozen=True)
class Runtime:
    device: str  # "cuda" or "cpu"
    precision: str  # "fp16", "bf16", "fp32" or "int8"
    backend: str = "torch"  # or "onnxruntime"

    @property
    def element_bytes(self):
        return 2 if self.precision in ("fp16", "bf16") else 4


def cpu_has_native_bf16(cpuinfo_path="/proc/cpuinfo"):
    try:
        with open(cpuinfo_path) as cpuinfo:
            flags = cpuinfo.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_runtime(precision="auto", cuda_available=None, native_bf16=None, backend="torch") -> Runtime:
    """Device, precision and backend. On CUDA the backend is always torch (see
    the module's docstring); load_ctc_engine warns when onnxruntime was asked."""
    import torch

    if precision not in PRECISIONS:
        raise PrecisionError(f"Unknown precision {precision!r}; use one of: {', '.join(PRECISIONS)}.")
    if backend not in BACKENDS:
        raise ValueError(f"Unknown runtime {backend!r}; use one of: {', '.join(BACKENDS)}")
    cuda = torch.cuda.is_available() if cuda_available is None else cuda_available
    if cuda:
        if precision == "int8":
            raise PrecisionError("Precision int8 runs on CPU only; use auto, fp16 or fp32 on a GPU.")
        return Runtime("cuda", "fp16" if precision == "auto" else precision)
    if precision == "fp16":
        raise PrecisionError("Precision fp16 needs a GPU; on CPU use auto, fp32, bf16 or int8.")
    if precision == "auto":
        native = cpu_has_native_bf16() if native_bf16 is None else native_bf16
        # ONNX Runtime asked for by name: its exact precision, not torch's bf16.
        precision = "bf16" if native and backend != "onnxruntime" else "fp32"
    if backend == "auto":
        backend = "onnxruntime" if precision == "fp32" else "torch"  # measured faster (module docstring)
    if backend == "onnxruntime" and precision not in ("fp32", "int8"):
        raise PrecisionError(f"ONNX Runtime runs fp32 or int8, not {precision}; use the torch runtime for {precision}.")
    return Runtime("cpu", precision, backend)


def cores_available():
    """The cores this process may run on (not the machine's)."""
    return len(os.sched_getaffinity(0))


class CtcEngine:
    """model: the torch model, or None when `network` (ctc_onnx.OnnxCtcNetwork)
    computes the logits; config: the model's transformers config."""

    def __init__(self, model, processor, runtime: Runtime, cpu_batch_mb=CPU_BATCH_MB_DEFAULT, network=None, config=None):
        self.model = model
        self.network = network
        self.processor = processor
        self.runtime = runtime
        self.cpu_batch_bytes = cpu_batch_mb * 1024**2
        self.vocabulary = Vocabulary.from_tokenizer(processor.tokenizer)
        self.config = config = config if config is not None else model.config
        self.seconds_per_frame = config.inputs_to_logits_ratio / SAMPLE_RATE
        # Group norm in the feature encoder normalises over the padded length, so
        # padding changes the result: such models (wav2vec2-base) run one at a time.
        self.supports_padding = config.feat_extract_norm != "group"
        self.bytes_per_audio_s = estimated_bytes_per_audio_second(config, runtime.element_bytes)
        self.min_samples = receptive_field_samples(config)

    def batch_audio_seconds(self):
        """How much audio one forward may hold, from the memory available now."""
        if self.runtime.device == "cuda":
            import torch

            free_bytes, _ = torch.cuda.mem_get_info()
            budget_bytes = free_bytes * CUDA_MEMORY_SHARE
        else:
            budget_bytes = self.cpu_batch_bytes
        return budget_bytes / self.bytes_per_audio_s

    def prepare(self, decoding: DecodingOptions):
        """(the decoding this engine can do of what `decoding` asks, notes on
        the rest): words it cannot spell are left out, a language model that
        cannot be loaded is dropped."""
        notes = []
        unusable = hotwords_of(decoding.words, self.vocabulary.symbols).unusable
        if unusable:
            notes.append(StageNote("vocabulary", unspellable_note(unusable)))
        if decoding.lm_path:
            try:
                load_language_model(decoding.lm_path)
            except ModelLoadError as exc:
                notes.append(StageNote("language model", LANGUAGE_MODEL_UNAVAILABLE, str(exc)))
                decoding = replace(decoding, lm_path=None)
        return decoding, notes

    def transcribe(
        self, chunks: list[np.ndarray], offsets_s: list[float], on_batch=None, decoding=DecodingOptions()
    ) -> list[Segment]:
        """One Segment per chunk (16 kHz mono float32), in input order; word
        times are offset by each chunk's offset_s. on_batch(done, total,
        {input_index: Segment}) is called after each forward."""
        decoder = make_decoder(self.vocabulary, decoding)
        segments = [None] * len(chunks)
        done = 0
        # Shorter than one frame's receptive field (25 ms): the convolutions
        # cannot run on it, and there is no word in it.
        too_short = [i for i, chunk in enumerate(chunks) if chunk.size < self.min_samples]
        for index in too_short:
            segments[index] = self.segment(np.zeros(0, dtype=np.int64), chunks[index].size, offsets_s[index], decoder)
        if too_short:
            done = len(too_short)
            if on_batch is not None:
                on_batch(done, len(chunks), {index: segments[index] for index in too_short})
        lengths = [chunk.size if segments[i] is None else 0 for i, chunk in enumerate(chunks)]
        for batch in self.plan_batches(lengths):
            for index, log_probs in zip(batch, self.forward_fitting([chunks[i] for i in batch])):
                segments[index] = self.segment(decoder.best_path(log_probs), chunks[index].size, offsets_s[index], decoder)
            done += len(batch)
            if on_batch is not None:
                on_batch(done, len(chunks), {index: segments[index] for index in batch})
        return segments

    def plan_batches(self, lengths):
        """Input indices (those of length > 0) grouped into batches, longest first: sorting by length
        keeps padding small, and the largest batch (the likeliest to run out of
        memory) comes first."""
        order = sorted((i for i in range(len(lengths)) if lengths[i]), key=lambda i: -lengths[i])
        if not self.supports_padding or self.network is not None:  # the ONNX graph takes no padding
            return [[i] for i in order]
        budget_samples = self.batch_audio_seconds() * SAMPLE_RATE
        batches, current = [], []
        for index in order:
            # Each batch is padded to its first (longest) chunk.
            longest = lengths[current[0]] if current else lengths[index]
            if current and (longest * (len(current) + 1) > budget_samples or len(current) >= MAX_BATCH_CHUNKS):
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def forward_fitting(self, chunks):
        """Forward `chunks`, halving the batch when the GPU runs out of memory:
        free memory is only an estimate, and other processes share it."""
        import torch

        try:
            return self.forward(chunks)
        except torch.cuda.OutOfMemoryError:
            if len(chunks) == 1:
                raise
            torch.cuda.empty_cache()
            middle = len(chunks) // 2
            return self.forward_fitting(chunks[:middle]) + self.forward_fitting(chunks[middle:])

    def forward(self, chunks):
        """Each chunk's CTC log-probabilities (frames x symbols, float32)."""
        import torch

        if self.network is not None:
            return self.forward_onnx(chunks)
        features = self.processor.feature_extractor(
            chunks,
            sampling_rate=SAMPLE_RATE,
            padding=True,
            return_attention_mask=self.supports_padding,
            return_tensors="pt",
        )
        input_values = features["input_values"].to(self.runtime.device)
        attention_mask = features.get("attention_mask") if self.supports_padding else None
        if self.runtime.precision == "fp16":
            input_values = input_values.half()
        kwargs = {}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask.to(self.runtime.device)
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.runtime.precision == "bf16" else nullcontext()
        with torch.inference_mode(), autocast:
            logits = self.model(input_values, **kwargs).logits
            log_probs = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
        return self.per_chunk(log_probs, chunks)

    def forward_onnx(self, chunks):
        """One chunk at a time, at its own length: the graph takes no padding
        mask, and on CPU a batch gains little."""
        import torch

        log_probs = []
        for chunk in chunks:
            features = self.processor.feature_extractor(chunk, sampling_rate=SAMPLE_RATE, return_tensors="np")
            logits = self.network.logits(features["input_values"])
            # The same log-softmax as the torch path, so both decode identical numbers from identical logits.
            log_probs.append(torch.log_softmax(torch.from_numpy(logits[0]), dim=-1).numpy())
        return log_probs

    def per_chunk(self, log_probs, chunks):
        """Each chunk's own frames of a padded batch's log-probabilities."""
        frame_counts = feature_frame_counts(self.config, [chunk.size for chunk in chunks])
        return [log_probs[row, :frames] for row, frames in enumerate(frame_counts)]

    def segment(self, ids, sample_count, offset_s, decoder):
        words = decode_ids(ids, self.vocabulary, self.seconds_per_frame, offset_s)
        words = tuple(written_back(words, decoder.hotwords))
        return Segment(
            start_s=offset_s,
            end_s=offset_s + sample_count / SAMPLE_RATE,
            text=" ".join(word.text for word in words),
            words=words,
        )


def receptive_field_samples(config):
    """Input samples one output frame sees: the shortest input the model takes."""
    samples, stride = 1, 1
    for kernel, layer_stride in zip(config.conv_kernel, config.conv_stride):
        samples += (kernel - 1) * stride
        stride *= layer_stride
    return samples


def estimated_bytes_per_audio_second(config, element_bytes):
    """Peak activation memory of one audio second in a forward: the first
    convolution's output (with its norm and activation copies) dominates."""
    first_conv_frames_per_s = SAMPLE_RATE / config.conv_stride[0]
    feature_encoder = 4 * config.conv_dim[0] * first_conv_frames_per_s * element_bytes
    frames_per_s = SAMPLE_RATE / math.prod(config.conv_stride)
    transformer = 4 * frames_per_s * (config.intermediate_size + 4 * config.hidden_size) * element_bytes
    return feature_encoder + transformer


@functools.cache
def load_ctc_engine(
    model_name: str,
    precision="auto",
    threads=None,
    cpu_batch_mb=CPU_BATCH_MB_DEFAULT,
    backend="torch",
    onnx_cache_dir=None,
) -> CtcEngine:
    """The model and processor of `model_name` (a hub id or a local folder),
    loaded once per process and kept. threads: CPU threads for the model (None:
    the cores this process may use). backend: torch, onnxruntime or auto (the
    module's docstring says what auto picks); onnx_cache_dir: where ONNX graphs
    go when the model's folder cannot be written. Raises ModelLoadError or
    PrecisionError."""
    import torch

    runtime = choose_runtime(precision, backend=backend)
    if backend == "onnxruntime" and runtime.device == "cuda":
        log.warning("STT_RUNTIME onnxruntime: this onnxruntime has no CUDA provider; %s runs on torch", model_name)
    if runtime.device == "cpu":
        torch.set_num_threads(threads or cores_available())
    if runtime.backend == "onnxruntime":
        engine = load_onnx_engine(model_name, runtime, threads or cores_available(), cpu_batch_mb, onnx_cache_dir)
        if engine is not None:
            return engine
        runtime = replace(runtime, backend="torch")
    model, processor = load_model_files(model_name)
    model.eval()
    if runtime.device == "cuda":
        model = model.to("cuda", dtype=torch.float16 if runtime.precision == "fp16" else torch.float32)
    elif runtime.precision == "int8":
        with warnings.catch_warnings():
            # torch.ao's eager quantisation is deprecated in favour of torchao (not
            # installed); it still works in the pinned torch.
            warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    log.info("speech model %s on %s in %s", model_name, runtime.device, runtime.precision)
    return CtcEngine(model, processor, runtime, cpu_batch_mb)


def load_onnx_engine(model_name, runtime, threads, cpu_batch_mb, cache_dir):
    """The engine on ONNX Runtime, the torch model never loaded in this
    process; None (and one warning in the worker's log) when the graph cannot
    be made or opened, so that the caller loads the torch model instead."""
    from transformers import AutoConfig

    processor = load_processor(model_name)
    try:
        network = load_onnx_network(model_name, runtime.precision, threads, cache_dir)
    except OnnxUnavailable as exc:
        log.warning("speech model %s: ONNX Runtime unavailable, running on torch instead: %s", model_name, exc)
        return None
    config = AutoConfig.from_pretrained(model_name)
    log.info("speech model %s on cpu in %s with ONNX Runtime (%s)", model_name, runtime.precision, network.graph)
    return CtcEngine(None, processor, runtime, cpu_batch_mb, network=network, config=config)


def load_processor(model_name):
    from transformers import Wav2Vec2Processor

    try:
        return Wav2Vec2Processor.from_pretrained(model_name)
    except Exception as exc:  # hub, file system and format errors all mean the same to an operator
        raise ModelLoadError(model_name, load_failure_reason(model_name, exc)) from exc


def load_model_files(model_name):
    processor = load_processor(model_name)
    try:
        model = load_torch_model(model_name)
    except Exception as exc:  # hub, file system and format errors all mean the same to an operator
        raise ModelLoadError(model_name, load_failure_reason(model_name, exc)) from exc
    return model, processor


def load_torch_model(model_name, **options):
    """The CTC model as the torch path runs it (SDPA attention where the model
    has it); the ONNX export loads its reference through here too."""
    from transformers import AutoModelForCTC

    try:
        return AutoModelForCTC.from_pretrained(model_name, attn_implementation="sdpa", **options)
    except (ValueError, ImportError):
        return AutoModelForCTC.from_pretrained(model_name, **options)  # a model without SDPA support
