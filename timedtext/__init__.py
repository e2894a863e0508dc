"""A transcript as plain data, and how it is written out.

Words and segments with times (words.py) travel from the speech engines through
the pipeline's stages to the database and back out; subtitle cues (cues.py) and
the renderers of every format (formats.py: txt, srt, vtt, json, tsv and the
OpenAI and whisper shapes) are pure functions of them. Plain Python: the web
process, the workers and the command line all import it.
"""

from .words import Segment, Transcript, Word

__all__ = ["Segment", "Transcript", "Word"]
