"""The child process that exports a CTC model to ONNX (or quantises a graph),
started by ctc_onnx.ensure_graph:

    python -m workers.pipeline.engines.ctc_onnx_export export MODEL OUT.onnx
    python -m workers.pipeline.engines.ctc_onnx_export quantize IN.onnx OUT.onnx

It writes OUT only when the whole job succeeded (a partial file is renamed in
place at the end), and exits non-zero with the reason on its last stderr line.

The graph is the model as loaded for torch, with two changes that keep its
logits and make onnxruntime's CPU kernels fast (measured in the README):
- Attention is onnxruntime's MultiHeadAttention operator, which runs MLAS's
  flash attention: the scores are never materialised. That kernel takes no
  padding mask, so the graph has none: it computes one chunk at its own
  length, which is also how the engine runs it (ctc_onnx.OnnxCtcNetwork).
- The first convolution (one input channel, a 10-sample kernel every 5
  samples in hubert-large) is a matrix product over frames of the waveform,
  computed time-major: onnxruntime's Conv is slow on a single channel, and the
  time-major result needs no transpose before its layer norm.
"""

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from .ctc import load_torch_model
from .ctc_onnx import OPSET, OnnxCtcNetwork, SessionOptions

# The graph must give torch's logits within this share of their range.
AGREEMENT_TOLERANCE = 1e-3
TRACE_SAMPLES = 24000  # 1.5 s
# Checked at other lengths than the traced one: a length baked into the trace
# as a constant shows up here. Odd lengths leave a partial frame at each
# convolution's end.
PROBE_SAMPLES = (31000, 17003, 9001)
ATTENTION = "onnx_multihead"


def export(model_name, out):
    from transformers import AttentionInterface

    # Loaded as the torch path loads it: its forward is the reference the graph must match.
    model = load_torch_model(model_name, dtype=torch.float32).eval()
    probes = probe_inputs()
    with torch.inference_mode():
        expected = [model(torch.from_numpy(probe)).logits.numpy() for probe in probes]
    AttentionInterface.register(ATTENTION, multihead_attention)
    model.set_attn_implementation(ATTENTION)
    frame_first_convolution(model)
    logits_only = LogitsOnly(model).eval()  # a fresh Module is in training mode: dropout would be traced
    traced = partial_path(out, "traced")
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter is deprecated in favour of torch.export, which
        # does not yet export these models' dynamic lengths; it still works here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            logits_only,
            (torch.from_numpy(probe_inputs(samples=(TRACE_SAMPLES,))[0]),),
            str(traced),
            dynamo=False,
            opset_version=OPSET,
            custom_opsets={"com.microsoft": 1},
            input_names=["input_values"],
            output_names=["logits"],
            dynamic_axes={"input_values": {0: "batch", 1: "samples"}, "logits": {0: "batch", 1: "frames"}},
        )
    del model, logits_only
    partial = partial_path(out)
    with_weights_beside(traced, partial, out)
    traced.unlink()
    network = OnnxCtcNetwork(partial, SessionOptions(threads=torch.get_num_threads()))
    for probe, want in zip(probes, expected):
        check_agreement(want, network.logits(probe))
    os.replace(partial, out)


class MultiheadAttention(torch.autograd.Function):
    """Attention without a mask: SDPA in torch, onnxruntime's (contrib)
    MultiHeadAttention in the graph. Takes and returns what transformers'
    attention functions do: query, key, value as (batch, heads, time, head
    size), the output as (batch, time, heads, head size)."""

    @staticmethod
    def forward(ctx, query, key, value, heads, scale):
        output = torch.nn.functional.scaled_dot_product_attention(query, key, value, scale=scale)
        return output.transpose(1, 2).contiguous()

    @staticmethod
    def symbolic(g, query, key, value, heads, scale):
        def time_major(states):  # (batch, heads, time, size) -> (batch, time, heads * size)
            states = g.op("Transpose", states, perm_i=[0, 2, 1, 3])
            return g.op("Reshape", states, g.op("Constant", value_t=torch.tensor([0, 0, -1])))

        output = g.op("com.microsoft::MultiHeadAttention", time_major(query), time_major(key), time_major(value),
                      num_heads_i=heads, scale_f=scale)
        # ONNX's shape inference knows no operators of onnxruntime's own: the
        # output's type and rank are stated here (the quantiser needs them).
        output.setType(query.type().with_sizes([None, None, None]))
        return g.op("Reshape", output, g.op("Constant", value_t=torch.tensor([0, 0, heads, -1])))


def multihead_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """transformers' attention interface, for MultiheadAttention."""
    if attention_mask is not None:
        raise ValueError("the exported graph computes unpadded chunks: it takes no attention mask")
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    return MultiheadAttention.apply(query, key, value, module.num_heads, float(scale)), None


class FramedConvolution(torch.nn.Module):
    """A convolution layer of the feature encoder whose input has one channel,
    computed as frames of the waveform times the kernel: each output step
    covers `kernel` samples starting every `stride` samples, that is one frame
    of `stride` samples and the head of the next. Input (batch, 1, samples),
    output (batch, channels, steps) like the layer it replaces."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        kernel, stride = layer.conv.kernel_size[0], layer.conv.stride[0]
        self.kernel, self.stride = kernel, stride
        # (out, 1, kernel) -> (kernel, out): the weight of each sample of a window.
        self.weight = torch.nn.Parameter(layer.conv.weight.detach()[:, 0, :].T.contiguous(), requires_grad=False)

    @staticmethod
    def applies_to(layer):
        conv = getattr(layer, "conv", None)
        norm = getattr(layer, "layer_norm", None)
        return (
            isinstance(conv, torch.nn.Conv1d) and conv.in_channels == 1 and conv.groups == 1
            and conv.padding == (0,) and conv.dilation == (1,)
            and conv.stride[0] <= conv.kernel_size[0] <= 2 * conv.stride[0]
            # A group norm normalises each channel over time: it stays as it is.
            and (norm is None or isinstance(norm, torch.nn.LayerNorm))
        )

    def forward(self, hidden_states):
        batch, _, samples = hidden_states.shape
        kernel, stride = self.kernel, self.stride
        steps = (samples - kernel) // stride + 1
        # One frame more than there are steps; the last one may need up to `stride` zeros.
        padded = torch.nn.functional.pad(hidden_states[:, 0, :], (0, stride))[:, : stride * (steps + 1)]
        frames = padded.reshape(batch, steps + 1, stride)
        windows = torch.cat([frames[:, :-1], frames[:, 1:, : kernel - stride]], dim=-1)
        states = windows @ self.weight
        if self.layer.conv.bias is not None:
            states = states + self.layer.conv.bias
        if getattr(self.layer, "layer_norm", None) is not None:
            states = self.layer.layer_norm(states)
        return self.layer.activation(states).transpose(1, 2)


def frame_first_convolution(model):
    """Replace the feature encoder's first layer by its FramedConvolution,
    where the layer is of a kind it computes."""
    layers = model.base_model.feature_extractor.conv_layers
    if FramedConvolution.applies_to(layers[0]):
        layers[0] = FramedConvolution(layers[0])


class LogitsOnly(torch.nn.Module):
    """The model with the graph's interface: input_values -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_values):
        return self.model(input_values).logits


def probe_inputs(seed=0, samples=PROBE_SAMPLES):
    """Noise-like audio, zero-mean unit-variance as the feature extractor
    makes it: one (1, samples) array per length."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, count)).astype(np.float32) for count in samples]


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
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = partial_path(out)
    # The Linear layers' MatMul and Gemm only, as in torch's int8: the
    # convolutions stay fp32 (ConvInteger is slow on CPU and hurts accuracy),
    # the framed first one included.
    graph = onnx.load(str(source), load_external_data=False).graph
    convolutions = [node.name for node in graph.node if "/feature_extractor/" in node.name]
    quantize_dynamic(
        str(source), str(partial), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
        nodes_to_exclude=convolutions,
    )
    os.replace(partial, out)


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
