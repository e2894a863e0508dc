"""Speakers on the job page: labels, renaming once for the whole transcript,
correcting who said a segment, search by a speaker's name, and the per-job
choice in the form (views/speakers.py)."""

import pytest
import srt
import webvtt
from django.urls import reverse

from tests.support.web_factory import make_conversation_transcription, make_transcription, upload, wav_bytes
from transcripts.models import Segment, Speaker, SpeakersMode, Transcription

pytestmark = pytest.mark.django_db(transaction=True)


def rename(client, transcription, index, name):
    return client.post(reverse("transcripts:rename_speaker", args=[transcription.pk, index]), {"name": name})


def download(client, transcription, fmt):
    return client.get(transcription.download_url(fmt)).content.decode()


def test_the_page_labels_each_segment_with_its_speaker(signed_in, owner):
    transcription = make_conversation_transcription(owner)
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert page.count('class="speaker speaker-0" data-speaker="0">Speaker 1</span>') == 2
    assert page.count('class="speaker speaker-1" data-speaker="1">Speaker 2</span>') == 2
    assert 'id="speakers"' in page and 'aria-label="Name of Speaker 1"' in page


def test_a_transcript_without_speakers_shows_no_labels(signed_in, owner):
    page = signed_in.get(make_transcription(owner).get_absolute_url()).content.decode()
    assert 'class="speaker' not in page and 'id="speakers"' not in page


def test_renaming_a_speaker_once_renames_it_everywhere(signed_in, owner):
    transcription = make_conversation_transcription(owner)
    signed_in.get(transcription.download_url("txt"))  # cached under the old revision
    response = rename(signed_in, transcription, 1, "  Ada   Lovelace ")
    assert response.status_code == 302
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert page.count(">Ada Lovelace</span>") == 3  # two segments and the speakers list
    assert "Speaker 2" not in page
    assert download(signed_in, transcription, "txt").split("\n\n")[1] == "Ada Lovelace: with a broken radio"
    cues = list(srt.parse(download(signed_in, transcription, "srt")))
    assert [cue.content for cue in cues][:2] == ["Speaker 1: how did it start", "Ada Lovelace: with a broken radio"]
    voices = [caption.voice for caption in webvtt.from_string(download(signed_in, transcription, "vtt")).captions]
    assert voices == ["Speaker 1", "Ada Lovelace", "Speaker 1", "Ada Lovelace"]
    found = signed_in.get(reverse("transcripts:history"), {"q": "lovelace"}).content.decode()
    assert "An interview" in found


def test_an_empty_name_is_refused_and_nothing_changes(signed_in, owner):
    transcription = make_conversation_transcription(owner)
    page = signed_in.get(rename(signed_in, transcription, 0, "   ")["Location"]).content.decode()
    assert "A speaker needs a name." in page
    assert Speaker.objects.get(transcription=transcription, index=0).name == "Speaker 1"


def test_a_stranger_cannot_rename_or_correct(client, stranger, owner):
    transcription = make_conversation_transcription(owner)
    client.force_login(stranger)
    assert rename(client, transcription, 0, "Mallory").status_code == 404
    url = reverse("transcripts:segment_speaker", args=[transcription.pk, 0])
    assert client.post(url, {"speaker": "1"}).status_code == 404
    assert not Speaker.objects.filter(name="Mallory").exists()
    assert Segment.objects.get(transcription=transcription, index=0).speaker == 0


def test_a_segments_speaker_can_be_corrected_or_be_someone_new(signed_in, owner):
    transcription = make_conversation_transcription(owner)
    edit_page = signed_in.get(reverse("transcripts:edit_segment", args=[transcription.pk, 2])).content.decode()
    assert '<option value="0" selected>Speaker 1</option>' in edit_page
    url = reverse("transcripts:segment_speaker", args=[transcription.pk, 2])
    signed_in.post(url, {"speaker": "1"})
    assert Segment.objects.get(transcription=transcription, index=2).speaker == 1
    signed_in.post(url, {"speaker": "new"})
    assert Segment.objects.get(transcription=transcription, index=2).speaker == 2
    assert Speaker.objects.get(transcription=transcription, index=2).name == "Speaker 3"
    assert download(signed_in, transcription, "txt").split("\n\n")[2] == "Speaker 3: and then"
    signed_in.post(url, {"speaker": "7"})
    assert Segment.objects.get(transcription=transcription, index=2).speaker == 2


def test_the_form_asks_how_many_speakers(signed_in, owner, settings):
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert 'name="speaker_count"' in page and 'value="auto"' in page
    upload(signed_in, wav_bytes(), speaker_count="2-3")
    job = Transcription.objects.get(owner=owner)
    assert (job.speakers_mode, job.speakers_min, job.speakers_max) == (SpeakersMode.COUNT, 2, 3)
    assert "speakers 2 to 3" in signed_in.get(job.get_absolute_url()).content.decode()


@pytest.mark.parametrize("count", ["many", "0", "4-2", "99"])
def test_a_bad_speaker_count_is_refused_by_the_form(signed_in, owner, count):
    response = upload(signed_in, wav_bytes(), speaker_count=count)
    page = response.content.decode()
    assert response.status_code == 400
    assert "is not a number of speakers" in page or "must be between 1 and 20" in page
    assert not Transcription.objects.exists()


def test_no_speaker_field_when_the_site_has_speakers_off(signed_in, owner, settings):
    settings.DIARIZATION = False
    assert 'name="speaker_count"' not in signed_in.get(reverse("transcripts:new")).content.decode()
    upload(signed_in, wav_bytes(), speaker_count="3")
    assert Transcription.objects.get(owner=owner).speakers_mode == SpeakersMode.OFF


def test_an_edited_segment_keeps_its_speaker(signed_in, owner):
    transcription = make_conversation_transcription(owner)
    url = reverse("transcripts:edit_segment", args=[transcription.pk, 1])
    saved = signed_in.post(url, {"text": "with a broken old radio"}, headers={"Accept": "application/json"}).json()
    assert saved["speaker"] == "Speaker 2" and {word["speaker"] for word in saved["words"]} == {"Speaker 2"}
    assert download(signed_in, transcription, "txt").split("\n\n")[1] == "Speaker 2: with a broken old radio"


def test_the_admin_lists_the_speakers(client, owner, django_user_model):
    admin_user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123456")
    transcription = make_conversation_transcription(owner)
    client.force_login(admin_user)
    page = client.get(reverse("admin:transcripts_transcription_change", args=[transcription.pk])).content.decode()
    assert 'value="Speaker 1"' in page and 'value="Speaker 2"' in page
