"""Search as the pages use it: a person's best matching segments, with a
snippet each and a link to their moment. The words are search_words.py's, the
database queries search_index.py's."""

from dataclasses import dataclass

from transcripts.models import Segment
from transcripts.search_index import matching_segment_ids
from transcripts.search_words import (  # noqa: F401  the names callers use
    MAX_TERMS,
    SNIPPET_CHARS,
    matches,
    parse_query,
    search_text_of,
    snippet,
)


@dataclass
class Hit:
    segment: Segment
    snippet: str

    @property
    def transcription(self):
        return self.segment.transcription

    @property
    def url(self):
        # The transcript page plays from a #t= fragment (static/js/transcript.js).
        return f"{self.transcription.get_absolute_url()}#t={self.segment.start_s:.2f}"


def find(owner, query, limit, offset=0):
    """The owner's matching segments as Hits, best first."""
    ids = matching_segment_ids(owner.pk, query, limit, offset)
    if not ids:
        return []
    rows = (
        Segment.objects.filter(pk__in=ids)
        .select_related("transcription")
        .only("id", "index", "start_s", "text", "transcription__id", "transcription__title")
    )
    by_id = {row.pk: row for row in rows}
    return [Hit(by_id[pk], snippet(by_id[pk].text, query)) for pk in ids if pk in by_id]
