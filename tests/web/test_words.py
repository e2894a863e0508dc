"""A person's word list (views/words.py) and the readable-text choices of the
new-transcription form: what they store, what they refuse, and that pages
show words full of markup as text."""

import random
import string

import pytest
from django.urls import reverse

from tests.support.web_factory import form_errors, upload, wav_bytes
from transcripts import vocabulary
from transcripts.models import Transcription, WordList

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def thousand_words():
    rng = random.Random(12)
    words = {"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12))) for _ in range(1200)}
    return sorted(words)[:999] + ["Zoë Ångström"]


def test_a_thousand_words_with_unicode_are_saved_and_shown(signed_in, owner):
    words = thousand_words()
    response = signed_in.post(reverse("transcripts:words"), {"words": "\n".join(words)})
    assert response.status_code == 302
    assert WordList.objects.get(owner=owner).entries == words
    page = signed_in.get(reverse("transcripts:words")).content.decode()
    assert "1000 words or phrases in your list" in page and "Zoë Ångström" in page


def test_commas_semicolons_spaces_and_repeats_are_tidied(signed_in, owner):
    signed_in.post(reverse("transcripts:words"), {"words": "Kubernetes, OAuth;  New   York\nkubernetes\n\n"})
    assert WordList.objects.get(owner=owner).entries == ["Kubernetes", "OAuth", "New York"]


def test_a_list_full_of_markup_is_shown_as_text(signed_in):
    signed_in.post(reverse("transcripts:words"), {"words": f"{HOSTILE}\n<b>bold</b> & co"})
    page = signed_in.get(reverse("transcripts:words")).content.decode()
    assert HOSTILE not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page


@pytest.mark.parametrize(
    ("words", "message"),
    [("\n".join(f"word{n}" for n in range(2001)), "2,000 words"), ("x" * 101, "100 characters")],
    ids=["too many", "too long"],
)
def test_a_list_over_the_limits_is_refused_and_kept_in_the_form(signed_in, owner, words, message):
    response = signed_in.post(reverse("transcripts:words"), {"words": words})
    assert response.status_code == 400
    assert message in form_errors(response)
    assert response.context["form"]["words"].value() == words  # nothing typed is lost
    assert not WordList.objects.filter(owner=owner).exclude(words="").exists()


def test_each_person_sees_only_their_own_list(client, owner, stranger):
    WordList.objects.create(owner=owner, words="Secretproject")
    client.force_login(stranger)
    assert "Secretproject" not in client.get(reverse("transcripts:words")).content.decode()


def test_the_form_stores_the_stage_choices_and_the_files_own_words(signed_in, settings):
    settings.PUNCTUATION_MODEL = "some/model"
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert 'name="punctuation"' in page and 'name="numbers"' in page and 'name="words"' in page
    response = upload(signed_in, wav_bytes(), numbers="on", use_word_list="on", words=f"Zoë, {HOSTILE}")
    assert response.status_code == 302
    job = Transcription.objects.get()
    assert (job.punctuation, job.numbers, job.use_word_list, job.summarize) == (False, True, True, False)
    assert job.words == f"Zoë\n{HOSTILE}"


def test_stages_the_site_has_off_are_not_offered(signed_in, settings):
    settings.PUNCTUATION_MODEL = ""
    settings.SUMMARY_MODEL = ""
    settings.WORD_LISTS = False
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert 'name="punctuation"' not in page and 'name="summarize"' not in page and 'name="words"' not in page
    assert 'name="numbers"' in page
    upload(signed_in, wav_bytes(), numbers="on")
    # A stage the site has off keeps the job's default, in case it is switched on later.
    assert Transcription.objects.get().punctuation is True


def test_words_for_a_job_join_the_owners_list_and_its_own(owner, settings):
    WordList.objects.create(owner=owner, words="Kubernetes\nOAuth")
    job = Transcription(owner=owner, words="Zoë\nkubernetes", use_word_list=True)
    assert vocabulary.words_for_job(job) == ["Kubernetes", "OAuth", "Zoë"]
    job.use_word_list = False
    assert vocabulary.words_for_job(job) == ["Zoë", "kubernetes"]
    settings.WORD_LISTS = False
    assert vocabulary.words_for_job(job) == []


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("Kubernetes, Zoë Smith, OAuth", ["Kubernetes", "Zoë Smith", "OAuth"]),
        ("A talk about Kubernetes with Zoë, iPhone apps and GPT4. Then questions.", ["Kubernetes", "Zoë", "iPhone", "GPT4"]),
        ("", []),
    ],
)
def test_a_prompt_offers_its_names_and_terms(prompt, words):
    assert vocabulary.words_of_prompt(prompt) == words
