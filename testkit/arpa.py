"""Write small ARPA language models (for tests and benchmarks): a bigram model
with absolute discounting and backoff, from lower-cased sentences."""

import math
from collections import Counter


def bigram_arpa(sentences, discount=0.5) -> str:
    unigrams, bigrams = Counter(), Counter()
    for sentence in sentences:
        tokens = ["<s>", *sentence.split(), "</s>"]
        unigrams.update(tokens)
        bigrams.update(zip(tokens, tokens[1:]))
    total = sum(count for token, count in unigrams.items() if token != "<s>")
    followers = Counter(first for first, _ in bigrams)
    lines = ["\\data\\", f"ngram 1={len(unigrams) + 1}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    lines.append(f"{math.log10(0.5 / total):.6f}\t<unk>\t0")
    for token, count in sorted(unigrams.items()):
        prob = -99.0 if token == "<s>" else math.log10(count / total)
        # What discounting takes from the seen followers is left for backoff.
        left = discount * followers[token] / unigrams[token] if followers[token] else 1.0
        lines.append(f"{prob:.6f}\t{token}\t{math.log10(left):.6f}")
    lines += ["", "\\2-grams:"]
    for (first, second), count in sorted(bigrams.items()):
        lines.append(f"{math.log10((count - discount) / unigrams[first]):.6f}\t{first} {second}")
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
