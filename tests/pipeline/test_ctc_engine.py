"""The CTC engine on a tiny random HuBERT loaded through load_ctc_engine, as the
real checkpoint is: batching, padding and word times."""

import json

import numpy as np
import pytest
import torch

from testkit.speech import SENTENCES, speak
from tests.conftest import require_tools
from workers.pipeline import DecodingOptions, decode_audio, load_ctc_engine
from workers.pipeline.engines.ctc import Runtime, choose_runtime, cpu_has_native_bf16
from workers.pipeline.engines.ctc_greedy import decode_ids
from workers.pipeline.errors import ModelLoadError, PrecisionError


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    return load_ctc_engine(str(tiny_model_dir), "fp32")


@pytest.fixture(scope="module")
def chunks(tmp_path_factory):
    """Speech chunks of clearly different lengths (≈1.3 s to 3.3 s), so that a
    batch pads the short ones by seconds."""
    require_tools()
    folder = tmp_path_factory.mktemp("chunks")
    spoken = [decode_audio(speak(text, folder / f"{i}.wav")) for i, text in enumerate(SENTENCES[:4])]
    return [spoken[0][: 16000 * 3 + 5000], spoken[1][:21000], spoken[2], spoken[3][: 16000 + 4321]]


def test_batched_and_one_at_a_time_give_identical_text_and_words(engine, chunks):
    offsets_s = [0.0, 10.0, 20.0, 30.0]
    assert len(engine.plan_batches([c.size for c in chunks])) == 1  # all four padded into one forward
    batched = engine.transcribe(chunks, offsets_s)
    single = [engine.transcribe([chunk], [offset_s])[0] for chunk, offset_s in zip(chunks, offsets_s)]
    assert [s.text for s in batched] == [s.text for s in single]
    assert [s.words for s in batched] == [s.words for s in single]
    assert any(segment.text for segment in batched)  # the random model does emit letters


def test_without_the_attention_mask_padding_changes_the_output(engine, chunks):
    """What the test above guards against: padded zeros leak into short inputs."""
    features = engine.processor.feature_extractor(chunks, sampling_rate=16000, padding=True, return_tensors="pt")
    shortest = int(np.argmin([c.size for c in chunks]))
    frames = int(engine.model._get_feat_extract_output_lengths(torch.tensor(chunks[shortest].size)))
    with torch.inference_mode():
        unmasked = engine.model(features["input_values"]).logits[shortest, :frames]
        masked = engine.model(features["input_values"], attention_mask=features["attention_mask"]).logits[
            shortest, :frames
        ]
        alone = engine.model(features["input_values"][shortest : shortest + 1, : chunks[shortest].size]).logits[0]
    assert torch.allclose(masked, alone, atol=1e-4)
    assert not torch.allclose(unmasked, alone, atol=1e-4)


def test_segments_come_back_in_input_order_with_times(engine, chunks):
    offsets_s = [5.0, 0.0, 12.5, 40.0]
    segments = engine.transcribe(chunks, offsets_s)
    for segment, chunk, offset_s in zip(segments, chunks, offsets_s):
        assert segment.start_s == offset_s
        assert segment.end_s == pytest.approx(offset_s + chunk.size / 16000)
        assert segment.text == " ".join(word.text for word in segment.words)
        assert segment.text == segment.text.lower()
        for word in segment.words:
            assert offset_s <= word.start_s < word.end_s <= segment.end_s + 0.02
        starts = [word.start_s for word in segment.words]
        assert starts == sorted(starts)
    json.dumps([[w.start_s for w in s.words] for s in segments])  # plain floats, not numpy ints


def test_progress_after_each_batch(engine, chunks, monkeypatch):
    # A budget of ~3.5 audio-seconds: the 3.3 s chunk alone, then pairs.
    monkeypatch.setattr(engine, "cpu_batch_bytes", 3.5 * engine.bytes_per_audio_s)
    batches = engine.plan_batches([c.size for c in chunks])
    assert len(batches) > 1
    assert [chunks[b[0]].size for b in batches] == sorted((chunks[b[0]].size for b in batches), reverse=True)
    reports = []
    segments = engine.transcribe(chunks, [0.0] * 4, on_batch=lambda *report: reports.append(report))
    assert [done for done, _, _ in reports] == list(np.cumsum([len(b) for b in batches]))
    assert all(total == 4 for _, total, _ in reports)
    assert {i: s for _, _, finished in reports for i, s in finished.items()} == dict(enumerate(segments))


def test_group_norm_models_run_one_chunk_at_a_time(engine, monkeypatch):
    monkeypatch.setattr(engine, "supports_padding", False)
    assert engine.plan_batches([100, 300, 200]) == [[1], [2], [0]]


def test_load_ctc_engine_is_cached_per_model_and_precision(tiny_model_dir, engine):
    assert load_ctc_engine(str(tiny_model_dir), "fp32") is engine
    assert engine.model.config._attn_implementation == "sdpa"
    assert engine.seconds_per_frame == 0.02


def test_int8_gives_text_from_a_quantised_model(tiny_model_dir, chunks):
    quantised = load_ctc_engine(str(tiny_model_dir), "int8")
    assert quantised.runtime == Runtime("cpu", "int8")
    assert "DynamicQuantizedLinear" in repr(quantised.model) or "QuantizedLinear" in repr(quantised.model)
    assert len(quantised.transcribe(chunks[:1], [0.0])) == 1


def test_a_missing_model_folder_is_named_with_the_reason(tmp_path):
    with pytest.raises(ModelLoadError) as error:
        load_ctc_engine(str(tmp_path / "no-such-model"), "fp32")
    message = str(error.value)
    assert str(tmp_path / "no-such-model") in message and "no such folder" in message
    assert "STT_" not in message  # the pipeline knows no settings; the job layer adds the fix


def test_a_broken_model_folder_is_a_model_load_error(tmp_path, tiny_model_dir):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("vocab.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json"):
        if (tiny_model_dir / name).exists():
            (broken / name).write_bytes((tiny_model_dir / name).read_bytes())
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_ctc_engine(str(broken), "fp32")


@pytest.mark.parametrize(
    "precision, cuda, native_bf16, expected",
    [
        ("auto", True, False, Runtime("cuda", "fp16")),
        ("fp32", True, False, Runtime("cuda", "fp32")),
        ("auto", False, True, Runtime("cpu", "bf16")),
        ("auto", False, False, Runtime("cpu", "fp32")),  # AVX2 only: bf16 would be ~20× slower
        ("int8", False, False, Runtime("cpu", "int8")),
        ("bf16", False, False, Runtime("cpu", "bf16")),  # asked for explicitly
    ],
)
def test_runtime_choice(precision, cuda, native_bf16, expected):
    assert choose_runtime(precision, cuda_available=cuda, native_bf16=native_bf16) == expected


@pytest.mark.parametrize("precision, cuda", [("fp16", False), ("int8", True), ("fp8", False)])
def test_impossible_precisions_are_refused_with_what_would_run(precision, cuda):
    with pytest.raises(PrecisionError, match="use"):
        choose_runtime(precision, cuda_available=cuda, native_bf16=False)


def test_native_bf16_is_read_from_cpu_flags(tmp_path):
    (tmp_path / "avx2").write_text("flags\t: fpu sse2 avx2 fma\n")
    (tmp_path / "sapphire").write_text("flags\t: avx2 avx512f avx512_bf16 amx_bf16\n")
    assert not cpu_has_native_bf16(tmp_path / "avx2")
    assert cpu_has_native_bf16(tmp_path / "sapphire")


def test_a_chunk_shorter_than_one_frame_gets_empty_text(engine, chunks):
    assert engine.min_samples == 400  # 25 ms: the convolution stack's receptive field
    segments = engine.transcribe([chunks[0], np.zeros(399, dtype=np.float32)], [0.0, 7.0])
    assert segments[1].text == "" and segments[1].start_s == 7.0
    assert segments[0] == engine.transcribe([chunks[0]], [0.0])[0]


def test_a_batch_that_runs_out_of_gpu_memory_is_halved(engine, chunks, monkeypatch):
    single = [engine.transcribe([chunk], [0.0])[0] for chunk in chunks]
    real_forward = engine.forward
    sizes = []

    def forward_that_fits_two(batch_chunks):
        sizes.append(len(batch_chunks))
        if len(batch_chunks) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real_forward(batch_chunks)

    monkeypatch.setattr(engine, "forward", forward_that_fits_two)
    assert [s.text for s in engine.transcribe(chunks, [0.0] * 4)] == [s.text for s in single]
    assert sizes == [4, 2, 2]


def test_prepare_names_words_it_cannot_spell_and_drops_a_language_model_that_does_not_load(engine, tmp_path):
    asked = DecodingOptions(words=("C++", "Kubernetes", "東京"), lm_path=str(tmp_path / "missing.arpa"))
    decoding, notes = engine.prepare(asked)
    assert decoding.lm_path is None and decoding.words == asked.words
    assert [note.stage for note in notes] == ["vocabulary", "language model"]
    assert "C++, 東京" in notes[0].message and "Kubernetes" not in notes[0].message
    assert "missing.arpa" in notes[1].detail and "missing.arpa" not in notes[1].message
    assert engine.prepare(DecodingOptions(words=("Kubernetes",))) == (DecodingOptions(words=("Kubernetes",)), [])


def test_greedy_decoding_is_the_argmax_of_the_log_probabilities(engine, chunks):
    log_probs = engine.forward(chunks[:1])[0]
    assert log_probs.shape[1] == 32 and np.allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-4)
    greedy = engine.transcribe(chunks[:1], [0.0], decoding=DecodingOptions(beam_search=False))[0]
    assert greedy.words == tuple(decode_ids(log_probs.argmax(axis=1), engine.vocabulary, 0.02))
