"""A tiny randomly initialised HuBERT CTC model with the real 32-symbol character
vocabulary of facebook/hubert-large-ls960-ft, saved like a hub checkpoint."""

import json
from pathlib import Path

# The vocabulary of facebook/hubert-large-ls960-ft (and wav2vec2-*-960h).
VOCAB = {
    "<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4,
    "E": 5, "T": 6, "A": 7, "O": 8, "N": 9, "I": 10, "H": 11, "S": 12, "R": 13, "D": 14,
    "L": 15, "U": 16, "M": 17, "W": 18, "C": 19, "F": 20, "G": 21, "Y": 22, "P": 23,
    "B": 24, "V": 25, "K": 26, "'": 27, "X": 28, "J": 29, "Q": 30, "Z": 31,
}


def tiny_hubert_config():
    from transformers import HubertConfig

    return HubertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16, 16, 16, 16, 16),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        # As in hubert-large-ls960-ft: layer norm in the feature encoder, so
        # padded batches with an attention mask match one-at-a-time inference.
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        pad_token_id=0,
        ctc_loss_reduction="mean",
    )


def character_processor(folder):
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

    folder = Path(folder)
    vocab_file = folder / "vocab.json"
    vocab_file.write_text(json.dumps(VOCAB))
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab_file), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|", do_lower_case=False
    )
    feature_extractor = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    )
    return Wav2Vec2Processor(feature_extractor=feature_extractor, tokenizer=tokenizer)


def save_tiny_model(folder, seed=0):
    import torch
    from transformers import HubertForCTC

    torch.manual_seed(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    HubertForCTC(tiny_hubert_config()).save_pretrained(folder)
    character_processor(folder).save_pretrained(folder)
    return folder
