"""ONNX Runtime for CTC models: the configured model exported once to an ONNX
graph, cached next to its files, and run by onnxruntime instead of eager torch.

- Export runs in a child process (ctc_onnx_export.py, which says how the graph
  differs from torch's modules): the large model's export peaks at several
  times its weights, and a crash there must not take the worker down. The
  child checks the graph against torch before it is kept.
- The graph is cached in `<model folder>/onnx/` (a hub id's folder is its
  snapshot in the Hugging Face cache), or in `cache_dir` when the model folder
  cannot be written. Its name is a hash of the model's files and of everything
  that changes the graph (torch, transformers, onnx, opset, our export code),
  so a changed model or exporter exports anew and a worker start after the
  first only opens the file.
- The fp32 graph keeps its weights in a file beside it (`<graph>.onnx.data`),
  which onnxruntime maps rather than copies.
- int8 is onnxruntime's dynamic quantisation of the exported graph, cached
  beside it.
- The graph takes no attention mask (onnxruntime's flash attention on CPU
  takes none): it computes chunks at their own length, never padded.

Anything that goes wrong raises OnnxUnavailable; the engine then runs on torch.
"""

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RUNTIMES = ("auto", "torch", "onnxruntime")
ONNX_PRECISIONS = ("fp32", "int8")
OPSET = 17
# Bump when ctc_onnx_export.py changes what it writes: old graphs are then ignored.
EXPORT_FORMAT = "torchscript-multihead-framed-unpadded-1"
GRAPH_FOLDER = "onnx"
EXPORT_TIMEOUT_S = 1800  # the large model exports in a few minutes on two cores
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]


class OnnxUnavailable(Exception):
    """The ONNX path cannot run this model here; the reason is for the worker's log."""


def model_folder(model_name):
    """The local folder that holds `model_name`'s files: the folder itself, or
    the hub snapshot the torch loader has already fetched."""
    folder = Path(model_name).expanduser()
    if folder.is_dir():
        return folder.resolve()
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model_name, local_files_only=True))
    except Exception as exc:  # not in the cache: the hub's errors all mean that here
        raise OnnxUnavailable(f"the files of {model_name!r} are not in the local model cache ({exc})") from exc


def model_files(folder):
    """The files that make the model (weights, config, vocabulary), not our graphs."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and GRAPH_FOLDER not in path.relative_to(folder).parts[:1] and not path.name.startswith(".")
    )


def graph_key(folder):
    """A hash of the model's files and of the versions that shape the graph. A
    hub snapshot is named by its commit and never changes: the name stands for
    its files (which may not all be fetched yet when the key is first made)."""
    import onnx
    import torch
    import transformers

    digest = hashlib.sha256(f"{EXPORT_FORMAT} opset {OPSET} torch {torch.__version__} "
                            f"transformers {transformers.__version__} onnx {onnx.__version__}".encode())
    if folder.parent.name == "snapshots":
        digest.update(f"hub snapshot {folder.parent.parent.name} {folder.name}".encode())
        return digest.hexdigest()[:20]
    for path in model_files(folder):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as source:
            while block := source.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()[:20]


def graph_dir(folder, cache_dir):
    """Where the graphs of the model in `folder` live: beside its files when
    that folder can be written, else in cache_dir."""
    beside = folder / GRAPH_FOLDER
    try:
        beside.mkdir(exist_ok=True)
        probe = beside / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
        return beside
    except OSError:
        if cache_dir is None:
            raise OnnxUnavailable(f"{folder} cannot be written and no ONNX cache folder is set") from None
    cache = Path(cache_dir).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def ensure_graph(model_name, precision="fp32", cache_dir=None, timeout_s=EXPORT_TIMEOUT_S) -> Path:
    """The cached graph of `model_name` in `precision` (fp32 or int8), exported
    (and quantised) first when it is not cached yet."""
    if precision not in ONNX_PRECISIONS:
        raise OnnxUnavailable(f"precision {precision} has no ONNX graph (only {', '.join(ONNX_PRECISIONS)})")
    folder = model_folder(model_name)
    key = graph_key(folder)
    directory = graph_dir(folder, cache_dir)
    graph = directory / f"{key}-{precision}.onnx"
    if not graph.exists():
        fp32_graph = directory / f"{key}-fp32.onnx"
        # The child loads `model_name` itself, through the loader the torch path uses.
        run_export_child(["export", model_name, str(fp32_graph)], timeout_s)
        if precision == "int8":
            run_export_child(["quantize", str(fp32_graph), str(graph)], timeout_s)
    return graph


def run_export_child(arguments, timeout_s):
    """Run the export child (arguments: command, source, out); its partial
    output is removed when it fails or is stopped half-way."""
    command = [sys.executable, "-m", "workers.pipeline.engines.ctc_onnx_export", *arguments]
    child = subprocess.Popen(command, cwd=REPOSITORY_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        stderr = None
    finally:
        out = Path(arguments[2])
        for partial in out.parent.glob(f".{out.stem}.{child.pid}.*.onnx"):
            partial.unlink(missing_ok=True)
    if stderr is None:
        raise OnnxUnavailable(f"the ONNX {arguments[0]} took longer than {timeout_s:g} s")
    if child.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {child.returncode}"
        raise OnnxUnavailable(f"the ONNX {arguments[0]} failed: {reason}")


@dataclass(frozen=True)
class SessionOptions:
    threads: int
    # The arena keeps the largest chunk's activations for the life of the
    # process, and reuses them: on hubert-large, chunks of 38–45 s ran 1.31×
    # faster than torch with it, 1.16× without (one run, alternated).
    memory_arena: bool = True
    # Threads that spin between operators burn a core while others wait for
    # it; without spinning the forward was faster too (measured on 2 cores).
    spinning: bool = False


class OnnxCtcNetwork:
    """An onnxruntime session over an exported CTC graph: logits like the torch
    model's `.logits` without an attention mask, as a float32 numpy array
    (batch, frames, symbols)."""

    def __init__(self, graph: Path, options: SessionOptions):
        import onnxruntime

        session_options = onnxruntime.SessionOptions()
        session_options.intra_op_num_threads = options.threads
        session_options.inter_op_num_threads = 1
        session_options.enable_cpu_mem_arena = options.memory_arena
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "1" if options.spinning else "0")
        session_options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = onnxruntime.InferenceSession(
                str(graph), sess_options=session_options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a graph onnxruntime cannot run is a reason to fall back, whatever its type
            raise OnnxUnavailable(f"onnxruntime cannot open {graph.name}: {exc}") from exc
        self.graph = graph

    def logits(self, input_values: np.ndarray) -> np.ndarray:
        """input_values: (batch, samples), every row speech to its end: the
        graph has no padding mask."""
        return self.session.run(["logits"], {"input_values": np.ascontiguousarray(input_values, dtype=np.float32)})[0]


def load_onnx_network(model_name, precision, threads, cache_dir=None, timeout_s=EXPORT_TIMEOUT_S) -> OnnxCtcNetwork:
    """The ONNX Runtime network of `model_name`, exported first if needed.
    Raises OnnxUnavailable."""
    try:
        graph = ensure_graph(model_name, precision, cache_dir, timeout_s)
    except OSError as exc:
        raise OnnxUnavailable(f"the ONNX graph could not be stored: {exc}") from exc
    return OnnxCtcNetwork(graph, SessionOptions(threads=threads))


def feature_frame_counts(config, sample_counts):
    """Output frames of each input length, as the model's conv stack computes
    them (transformers' _get_feat_extract_output_lengths, without the model)."""
    lengths = np.asarray(sample_counts, dtype=np.int64)
    for kernel, stride in zip(config.conv_kernel, config.conv_stride):
        lengths = (lengths - kernel) // stride + 1
    return lengths.tolist()
