"""The ONNX Runtime path on the tiny random HuBERT: the exported graph computes
torch's logits, chunk by chunk at their own lengths, is cached by the model's
files, and quantises to int8."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from transformers import AutoModelForCTC

from testkit.speech import SENTENCES, speak
from testkit.tiny_models import save_tiny_model
from tests.conftest import require_tools
from workers.pipeline import DecodingOptions, decode_audio, load_ctc_engine
from workers.pipeline.engines import ctc_onnx
from workers.pipeline.engines.ctc import Runtime, choose_runtime
from workers.pipeline.engines.ctc_onnx import (
    OnnxCtcNetwork,
    OnnxUnavailable,
    SessionOptions,
    ensure_graph,
    feature_frame_counts,
    graph_key,
)
from workers.pipeline.engines.ctc_onnx_export import FramedConvolution, frame_first_convolution
from workers.pipeline.errors import PrecisionError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A model folder of this module's own, so that its graphs start uncached."""
    return save_tiny_model(tmp_path_factory.mktemp("tiny-hubert-onnx"))


@pytest.fixture(scope="module")
def torch_model(model_dir):
    return AutoModelForCTC.from_pretrained(model_dir).eval()


@pytest.fixture(scope="module")
def padded_speech(model_dir, tmp_path_factory):
    """Four chunks of speech of different lengths, as the engine batches them."""
    from transformers import Wav2Vec2FeatureExtractor

    require_tools()
    folder = tmp_path_factory.mktemp("speech")
    chunks = [decode_audio(speak(text, folder / f"{i}.wav")) for i, text in enumerate(SENTENCES[:4])]
    chunks = [chunks[0], chunks[1][:21000], chunks[2][:40000], chunks[3][:16000 + 4321]]
    features = Wav2Vec2FeatureExtractor.from_pretrained(model_dir)(
        chunks, sampling_rate=16000, padding=True, return_attention_mask=True, return_tensors="np"
    )
    return chunks, features["input_values"], features["attention_mask"]


def torch_logits(model, input_values, attention_mask):
    with torch.inference_mode():
        return model(torch.from_numpy(input_values), attention_mask=torch.from_numpy(attention_mask)).logits.numpy()


def onnx_logits(model_dir, precision, chunks):
    """Each chunk's logits from the graph, computed at its own length."""
    network = OnnxCtcNetwork(ensure_graph(str(model_dir), precision), SessionOptions(threads=2))
    return [network.logits(one_chunk_features(model_dir, chunk))[0] for chunk in chunks]


def one_chunk_features(model_dir, chunk):
    from transformers import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor.from_pretrained(model_dir)(chunk, sampling_rate=16000, return_tensors="np")[
        "input_values"
    ]


def test_onnx_logits_of_each_chunk_match_torch_fp32_on_the_padded_batch(model_dir, torch_model, padded_speech):
    chunks, input_values, attention_mask = padded_speech
    expected = torch_logits(torch_model, input_values, attention_mask)
    actual = onnx_logits(model_dir, "fp32", chunks)
    frames = feature_frame_counts(torch_model.config, [chunk.size for chunk in chunks])
    assert frames == torch_model._get_feat_extract_output_lengths(torch.tensor([c.size for c in chunks])).tolist()
    assert [logits.shape[0] for logits in actual] == frames
    for row, count in enumerate(frames):  # the frames each chunk really has, padding excluded
        want, got = expected[row, :count], actual[row]
        assert np.abs(want - got).max() <= 1e-3 * (want.max() - want.min())
        assert (want.argmax(-1) == got.argmax(-1)).mean() >= 0.999


def test_the_graph_runs_fused_attention_without_a_mask_and_frames_the_first_convolution(model_dir):
    graph = onnx.load(str(ensure_graph(str(model_dir), "fp32")), load_external_data=False).graph
    operators = [node.op_type for node in graph.node]
    assert [tensor.name for tensor in graph.input] == ["input_values"]
    assert operators.count("MultiHeadAttention") == 2  # one per layer of the tiny model
    assert not {"Softmax", "Where"} & set(operators)  # no attention scores computed outside it
    assert operators.count("Conv") == 7  # 6 of the 7 feature layers and the positional convolution


@pytest.mark.parametrize("samples", [400, 401, 404, 16000, 16003])
def test_the_framed_first_convolution_computes_the_layer_it_replaces(torch_model, samples):
    layer = torch_model.hubert.feature_extractor.conv_layers[0]
    assert FramedConvolution.applies_to(layer)
    waveform = torch.randn(2, 1, samples)
    with torch.inference_mode():
        assert torch.allclose(FramedConvolution(layer)(waveform), layer(waveform), atol=1e-5)


def test_a_group_norm_first_layer_is_left_as_it_is():
    from transformers import HubertConfig, HubertForCTC

    model = HubertForCTC(HubertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                                      conv_dim=(16,) * 7, feat_extract_norm="group"))
    first = model.hubert.feature_extractor.conv_layers[0]
    frame_first_convolution(model)
    assert model.hubert.feature_extractor.conv_layers[0] is first


def test_the_graph_is_cached_beside_the_model_and_reused(model_dir, monkeypatch):
    graph = ensure_graph(str(model_dir), "fp32")
    assert graph.parent == model_dir / "onnx"
    initializers = onnx.load(str(graph), load_external_data=False).graph.initializer
    external = [t for t in initializers if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external and (model_dir / "onnx" / f"{graph.name}.data").exists()  # the weights lie beside the graph
    written_ns = graph.stat().st_mtime_ns

    def no_export(*arguments):
        raise AssertionError("a cached graph was exported again")

    monkeypatch.setattr(ctc_onnx, "run_export_child", no_export)
    assert ensure_graph(str(model_dir), "fp32") == graph
    assert graph.stat().st_mtime_ns == written_ns
    assert not list(graph.parent.glob(".*.onnx"))  # no partial or traced file left


def test_changed_model_files_get_a_new_graph(tmp_path):
    first = save_tiny_model(tmp_path / "a", seed=0)
    second = save_tiny_model(tmp_path / "b", seed=1)  # same config, other weights
    assert graph_key(first) == graph_key(save_tiny_model(tmp_path / "c", seed=0))
    assert graph_key(first) != graph_key(second)
    (first / "onnx").mkdir()
    (first / "onnx" / "stale.onnx").write_bytes(b"our own graphs do not change the key")
    assert graph_key(first) == graph_key(tmp_path / "c")


def test_a_folder_that_cannot_be_written_caches_in_the_cache_folder(tmp_path):
    model_dir = save_tiny_model(tmp_path / "model")
    (model_dir / "onnx").write_text("a file where the graph folder would go")
    with pytest.raises(OnnxUnavailable, match="cannot be written"):
        ensure_graph(str(model_dir), "fp32")
    graph = ensure_graph(str(model_dir), "fp32", cache_dir=tmp_path / "cache")
    assert graph.parent == tmp_path / "cache" and graph.exists()


def test_int8_quantises_the_linear_layers_and_stays_close_to_fp32(model_dir, padded_speech):
    chunks, _, _ = padded_speech
    graph = onnx.load(str(ensure_graph(str(model_dir), "int8"))).graph
    operators = {node.op_type for node in graph.node}
    assert "MatMulInteger" in operators and "DynamicQuantizeLinear" in operators
    assert "ConvInteger" not in operators  # convolutions stay fp32, as in torch's int8
    framed = [node for node in graph.node if "/feature_extractor/" in node.name and "MatMul" in node.op_type]
    assert [node.op_type for node in framed] == ["MatMul"]  # the framed convolution too
    fp32 = np.concatenate(onnx_logits(model_dir, "fp32", chunks))
    int8 = np.concatenate(onnx_logits(model_dir, "int8", chunks))
    assert not np.array_equal(fp32, int8)
    assert np.abs(fp32 - int8).max() <= 0.1 * (fp32.max() - fp32.min())


def test_an_export_that_fails_says_why(tmp_path):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    (not_a_model / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(OnnxUnavailable, match="export failed: .*"):
        ensure_graph(str(not_a_model), "fp32")
    assert not list((not_a_model / "onnx").iterdir())  # no partial graph left behind


def test_an_export_that_runs_too_long_is_stopped(tmp_path):
    model_dir = save_tiny_model(tmp_path / "model")
    with pytest.raises(OnnxUnavailable, match="longer than 0.5 s"):
        ensure_graph(str(model_dir), "fp32", timeout_s=0.5)
    assert not list((model_dir / "onnx").iterdir())


# The engine on ONNX Runtime, loaded through load_ctc_engine as a worker does.


def test_the_onnx_engine_transcribes_like_the_torch_engine(model_dir, padded_speech):
    chunks, _, _ = padded_speech
    on_torch = load_ctc_engine(str(model_dir), "fp32", backend="torch")
    on_onnx = load_ctc_engine(str(model_dir), "fp32", backend="onnxruntime")
    assert on_onnx.runtime == Runtime("cpu", "fp32", "onnxruntime") and on_onnx.model is None
    offsets_s = [0.0, 10.0, 20.0, 30.0]
    for decoding in (DecodingOptions(beam_search=False), DecodingOptions(beam_search=True)):
        expected = on_torch.transcribe(chunks, offsets_s, decoding=decoding)
        actual = on_onnx.transcribe(chunks, offsets_s, decoding=decoding)
        assert [s.words for s in actual] == [s.words for s in expected]
        assert [s.text for s in actual] == [s.text for s in expected]
    assert any(segment.words for segment in expected)  # the random model does emit words
    log_probs = on_onnx.forward(chunks)
    assert [lp.shape[0] for lp in log_probs] == [lp.shape[0] for lp in on_torch.forward(chunks)]
    assert np.allclose(np.exp(log_probs[0]).sum(-1), 1.0, atol=1e-5)


def test_the_int8_option_runs_the_quantised_graph(model_dir, padded_speech):
    chunks, _, _ = padded_speech
    engine = load_ctc_engine(str(model_dir), "int8", backend="onnxruntime")
    assert engine.runtime == Runtime("cpu", "int8", "onnxruntime")
    assert engine.network.graph.name.endswith("-int8.onnx")
    segments = engine.transcribe(chunks, [0.0] * len(chunks))
    assert len(segments) == len(chunks) and any(segment.words for segment in segments)


def test_a_graph_onnxruntime_cannot_open_falls_back_to_torch_with_one_warning(tmp_path, padded_speech, caplog):
    chunks, _, _ = padded_speech
    model_dir = save_tiny_model(tmp_path / "model")
    graph = ensure_graph(str(model_dir), "fp32")
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 2])  # cut short, as by a full disk
    with caplog.at_level(logging.WARNING, logger="workers.pipeline.engines.ctc"):
        engine = load_ctc_engine(str(model_dir), "fp32", backend="onnxruntime")
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "running on torch instead" in warnings[0].getMessage()
    assert engine.runtime == Runtime("cpu", "fp32", "torch") and engine.network is None
    reference = load_ctc_engine(str(model_dir), "fp32", backend="torch")
    assert engine is not reference  # a separate load, checked against an engine that never tried ONNX
    expected = reference.transcribe(chunks, [0.0] * len(chunks))
    assert [s.words for s in engine.transcribe(chunks, [0.0] * len(chunks))] == [s.words for s in expected]


@pytest.mark.parametrize(
    ("precision", "backend", "native_bf16", "expected"),
    [
        ("auto", "auto", False, Runtime("cpu", "fp32", "onnxruntime")),  # ORT measured faster on AVX2
        ("fp32", "onnxruntime", False, Runtime("cpu", "fp32", "onnxruntime")),
        ("auto", "auto", True, Runtime("cpu", "bf16", "torch")),  # no bf16 graph
        ("int8", "auto", False, Runtime("cpu", "int8", "torch")),  # ORT int8 only when asked
        ("int8", "onnxruntime", False, Runtime("cpu", "int8", "onnxruntime")),
        ("auto", "onnxruntime", True, Runtime("cpu", "fp32", "onnxruntime")),
        ("auto", "torch", False, Runtime("cpu", "fp32", "torch")),
    ],
)
def test_auto_runtime_on_cpu(precision, backend, native_bf16, expected):
    assert choose_runtime(precision, cuda_available=False, native_bf16=native_bf16, backend=backend) == expected


def test_auto_runtime_on_cuda_is_torch_and_onnxruntime_refuses_bf16():
    assert choose_runtime("auto", cuda_available=True, backend="auto") == Runtime("cuda", "fp16", "torch")
    with pytest.raises(PrecisionError, match="ONNX Runtime runs fp32 or int8"):
        choose_runtime("bf16", cuda_available=False, backend="onnxruntime")


def test_a_hub_model_gets_its_graph_in_its_snapshot_folder(tmp_path):
    """A hub id, loaded offline from a Hugging Face cache laid out as the hub
    client leaves it: the graph goes into the snapshot, keyed by its commit."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repository = tmp_path / "hub" / "models--speechsite--tiny-hubert"
    save_tiny_model(repository / "snapshots" / commit)
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text(commit)
    program = (
        "from workers.pipeline import load_ctc_engine\n"
        "engine = load_ctc_engine('speechsite/tiny-hubert', 'fp32', backend='onnxruntime')\n"
        "print(engine.runtime.backend, engine.network.graph)\n"
    )
    environment = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", program], cwd=ctc_onnx.REPOSITORY_ROOT, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    backend, graph = result.stdout.split()
    assert backend == "onnxruntime"
    assert Path(graph).parent == repository / "snapshots" / commit / "onnx"
