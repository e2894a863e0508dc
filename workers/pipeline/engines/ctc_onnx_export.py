"""The child process that exports a CTC model to ONNX (or quantises a graph),
started by ctc_onnx.ensure_graph:

    python -m workers.pipeline.engines.ctc_onnx_export export MODEL OUT.onnx
    python -m workers.pipeline.engines.ctc_onnx_export quantize IN.onnx OUT.onnx

It writes OUT only when the whole job succeeded (a partial file is renamed in
place at the end), and exits non-zero with the reason on its last stderr line.
"""

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from .ctc_onnx import OPSET, OnnxCtcNetwork, SessionOptions

# The graph must give torch's logits within this share of their range.
AGREEMENT_TOLERANCE = 1e-3
PROBE_SAMPLES = (24000, 13000)  # a padded batch of 1.5 s and 0.8 s


def export(model_name, out):
    from transformers import AutoModelForCTC

    # Eager attention: SDPA's fused kernel does not trace into ONNX cleanly.
    model = AutoModelForCTC.from_pretrained(model_name, attn_implementation="eager", dtype=torch.float32).eval()
    logits_only = LogitsOnly(model).eval()  # a fresh Module is in training mode: dropout would be traced
    input_values, attention_mask = probe_batch()
    traced = partial_path(out, "traced")
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter is deprecated in favour of torch.export, which
        # does not yet export these models' dynamic lengths; it still works here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            logits_only,
            (torch.from_numpy(input_values), torch.from_numpy(attention_mask)),
            str(traced),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input_values", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_values": {0: "batch", 1: "samples"},
                "attention_mask": {0: "batch", 1: "samples"},
                "logits": {0: "batch", 1: "frames"},
            },
        )
        # Checked at other lengths than the traced ones: a length baked into
        # the trace as a constant shows up here.
        input_values, attention_mask = probe_batch(seed=1, samples=(31000, 17000, 9000))
        expected = logits_only(torch.from_numpy(input_values), torch.from_numpy(attention_mask)).numpy()
    del model, logits_only
    partial = partial_path(out)
    with_weights_beside(traced, partial, out)
    traced.unlink()
    actual = OnnxCtcNetwork(partial, SessionOptions(threads=torch.get_num_threads())).logits(input_values, attention_mask)
    check_agreement(expected, actual)
    os.replace(partial, out)


def with_weights_beside(source, graph, out):
    """Save `source` as `graph` with its weights in OUT.data: onnxruntime maps
    such a file instead of parsing the weights into memory and copying them,
    which made its peak RSS ~600 MB higher than torch's on hubert-large. The
    data file gets its final name now; the graph file, renamed last, is what
    marks the pair complete."""
    import onnx

    model = onnx.load(str(source))
    weights = Path(out).with_name(Path(out).name + ".data")
    weights.unlink(missing_ok=True)  # a half-written one from an export that died
    onnx.save_model(model, str(graph), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=weights.name, size_threshold=1024)


def quantize(source, out):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = partial_path(out)
    # MatMul and Gemm only, as torch's int8 quantises the Linear layers only:
    # the convolutions stay fp32 (ConvInteger is slow on CPU and hurts accuracy).
    quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])
    os.replace(partial, out)


class LogitsOnly(torch.nn.Module):
    """The model with the graph's interface: (input_values, attention_mask) -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_values, attention_mask):
        return self.model(input_values, attention_mask=attention_mask).logits


def probe_batch(seed=0, samples=PROBE_SAMPLES):
    """Noise-like audio, zero-mean unit-variance as the feature extractor makes
    it, zero-padded to the longest, with its attention mask."""
    rng = np.random.default_rng(seed)
    input_values = np.zeros((len(samples), max(samples)), dtype=np.float32)
    attention_mask = np.zeros(input_values.shape, dtype=np.int64)
    for row, count in enumerate(samples):
        input_values[row, :count] = rng.standard_normal(count)
        attention_mask[row, :count] = 1
    return input_values, attention_mask


def check_agreement(expected, actual):
    if expected.shape != actual.shape:
        raise SystemExit(f"the graph's logits have shape {actual.shape}, torch's {expected.shape}")
    difference = float(np.abs(expected - actual).max())
    logit_range = float(expected.max() - expected.min()) or 1.0
    if difference > AGREEMENT_TOLERANCE * logit_range:
        raise SystemExit(
            f"the graph's logits differ from torch's by {difference:.3g} (range {logit_range:.3g})"
        )


def partial_path(out, stage="partial"):
    out = Path(out)
    return out.with_name(f".{out.stem}.{os.getpid()}.{stage}.onnx")


def main(arguments):
    command, source, out = arguments
    try:
        {"export": export, "quantize": quantize}[command](source, out)
    finally:
        partial_path(out).unlink(missing_ok=True)
        partial_path(out, "traced").unlink(missing_ok=True)


if __name__ == "__main__":
    main(sys.argv[1:])
