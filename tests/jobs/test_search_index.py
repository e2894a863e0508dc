"""A job's writes keep the search index right: partial segments, the final
ones that replace them, and a retry that replaces them again."""

import pytest

import timedtext
from tests.support.jobs_factory import queued_transcription
from transcripts import search, services
from transcripts.models import Transcription
from workers.attempt import Attempt

pytestmark = pytest.mark.django_db(transaction=True)


def found(owner, text):
    return sorted(hit.segment.text for hit in search.find(owner, search.parse_query(text), 50))


def test_partial_final_and_retried_segments_are_what_search_finds(owner, speech_wav):
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)

    def run_attempt(texts, partial_text):
        transcription.refresh_from_db()
        attempt = Attempt(transcription.pk, transcription.lease)
        assert attempt.claim()
        attempt.save_partial_segments({0: timedtext.Segment(0.0, 1.0, partial_text)})
        assert found(owner, partial_text) == [partial_text]
        segments = tuple(timedtext.Segment(float(i), float(i + 1), text) for i, text in enumerate(texts))
        attempt.finish(timedtext.Transcript(duration_s=len(texts), segments=segments))

    run_attempt(["One apple.", "Two pears."], "draft")
    assert found(owner, "draft") == []
    assert found(owner, "apple") == ["One apple."]

    services.queue_new_attempt(transcription)
    run_attempt(["Uno manzana.", "Dos peras."], "borrador")
    assert found(owner, "apple") == [] and found(owner, "pears") == []
    assert found(owner, "manzana") == ["Uno manzana."]
    assert Transcription.objects.search("peras").get() == transcription
