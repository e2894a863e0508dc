"""Text stages: timed words in, timed words out, after the speech engine.

- numerals.py: numbers as digits ("twenty twenty six" -> "2026"), per segment;
- punctuation.py: punctuation and capitals by a token-classification model,
  over the whole transcript in overlapping windows;
- sentences.py: segments re-cut at sentence ends;
- summary.py: a summary of a finished transcript (its own job, not part of a
  transcription run).

readable.py chains the first three for transcribe_file. A stage never loses,
merges out of order or re-times a word: a word it writes spans exactly the
words it replaces, from the start of the first to the end of the last.
"""
