"""Rows for page tests, made without a worker: a transcription with stored
media (a real, tiny WAV) and segments."""

import io
import wave

import django_rq
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from transcripts.models import Media, Segment, Transcription


def wav_bytes(duration_s=1.0, rate=8000):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * int(duration_s * rate))
    return buffer.getvalue()


def make_media(owner, name="talk.wav", content=None):
    content = wav_bytes() if content is None else content
    media = Media(owner=owner, source=Media.Source.UPLOAD, original_name=name, size_bytes=len(content), duration_s=1.0)
    media.file.save(name, ContentFile(content), save=False)
    media.save()
    return media


def make_transcription(owner, title="A talk", status=Transcription.Status.DONE, texts=("hello world",), media=None):
    transcription = Transcription.objects.create(
        owner=owner, media=media or make_media(owner), title=title, status=status, model_name="tiny", duration_s=1.0
    )
    add_segments(transcription, texts)
    return transcription


def add_segments(transcription, texts, start_s=0.0, segment_s=2.0):
    rows = []
    for index, text in enumerate(texts):
        begin_s = start_s + index * segment_s
        tokens = text.split()
        word_s = (segment_s - 0.2) / max(len(tokens), 1)
        words = [
            {"word": token, "start": begin_s + position * word_s, "end": begin_s + (position + 1) * word_s}
            for position, token in enumerate(tokens)
        ]
        rows.append(
            Segment(
                transcription=transcription, index=index, start_s=begin_s, end_s=begin_s + segment_s - 0.2,
                text=text, original_text=text, words=words,
            )
        )
    Segment.objects.bulk_create(rows)


def upload(client, content, name="talk.wav", **fields):
    return client.post(reverse("transcripts:new"), {"file": SimpleUploadedFile(name, content), **fields})


def queued_job_ids():
    return django_rq.get_queue("transcribe").get_job_ids()


def form_errors(response):
    return " ".join(str(error) for errors in response.context["form"].errors.values() for error in errors)


def make_conversation_transcription(owner, title="An interview"):
    """A finished transcript of two speakers taking turns, as a speakers job leaves it."""
    from transcripts.models import Speaker

    transcription = make_transcription(
        owner, title=title, texts=["how did it start", "with a broken radio", "and then", "we fixed it"]
    )
    for index, speaker in enumerate([0, 1, 0, 1]):
        Segment.objects.filter(transcription=transcription, index=index).update(speaker=speaker)
    Speaker.objects.bulk_create(
        Speaker(transcription=transcription, index=index, name=f"Speaker {index + 1}") for index in range(2)
    )
    return transcription
