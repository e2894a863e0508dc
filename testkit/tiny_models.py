"""Tiny randomly initialised models saved like hub checkpoints, loaded by the
tests through the product's own from_pretrained code: a HuBERT CTC model with
the real 32-symbol character vocabulary of facebook/hubert-large-ls960-ft, a
BERT token classifier with the real 15 labels of felflare/bert-restore-punctuation
(punctuation), and a BART summarizer. The text models' tokenizers are built here
(no hub); at size="base" the token classifier has BERT-base's compute, for benchmarks."""

import json
import string
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


BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Any lower-case word, digit or punctuation mark tokenizes (letter by letter at worst).
CHARACTERS = list(string.ascii_lowercase + string.digits + string.punctuation)
# felflare/bert-restore-punctuation's config names its 15 labels only by number.
UNNAMED_PUNCTUATION_LABELS = [f"LABEL_{index}" for index in range(15)]


def wordpiece_vocab(words=()):
    """A WordPiece vocabulary: specials, single characters, "##" continuations and `words`."""
    tokens = BERT_SPECIAL_TOKENS + CHARACTERS + ["##" + c for c in string.ascii_lowercase + string.digits]
    tokens += sorted(set(words) - set(tokens))
    return {token: index for index, token in enumerate(dict.fromkeys(tokens))}


def save_token_classifier(folder, words=(), labels=UNNAMED_PUNCTUATION_LABELS, size="tiny", seed=0):
    """A BertForTokenClassification with `labels`, saved with its tokenizer.
    (transformers 5: BertTokenizer is the fast, tokenizers-backed class and
    takes its vocabulary as a dict; a vocab_file is silently ignored.)"""
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    vocab = wordpiece_vocab(words)
    dims = {
        "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
        "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    }[size]
    config = BertConfig(
        vocab_size=max(len(vocab), 30522 if size == "base" else 0),
        max_position_embeddings=512,
        id2label=dict(enumerate(labels)),
        label2id={label: index for index, label in enumerate(labels)},
        **dims,
    )
    torch.manual_seed(seed)
    folder = Path(folder)
    BertForTokenClassification(config).save_pretrained(folder)
    BertTokenizer(vocab=vocab, do_lower_case=True).save_pretrained(folder)
    return folder


def save_tiny_summarizer(folder, words, seed=0):
    """A BartForConditionalGeneration with a word-level tokenizer of `words`."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(specials + CHARACTERS + sorted(set(words))))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    config = BartConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        # Few positions: summaries of at most ~30 tokens, quick to generate.
        max_position_embeddings=64,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["</s>"],
        forced_bos_token_id=vocab["<s>"],
    )
    torch.manual_seed(seed)
    folder = Path(folder)
    BartForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
