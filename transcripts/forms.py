from dataclasses import replace

from django import forms
from django.conf import settings

from timedtext.languages import display_name

from . import offered_models, services, vocabulary
from .models import Segment, Transcription, WordList
from .speaker_count import SPEAKERS_HELP, BadSpeakerCount, parse_speaker_count
from .uploads import limit_text

MEDIA_ACCEPT = "audio/*,video/*,.mp3,.mp4,.wav,.m4a,.flac,.ogg,.opus,.webm,.mkv,.mov,.aac"


class NewTranscriptionForm(forms.Form):
    file = forms.FileField(
        required=False,
        label="Audio or video file",
        widget=forms.ClearableFileInput(attrs={"accept": MEDIA_ACCEPT}),
    )
    url = forms.URLField(
        required=False,
        label="…or a link to a video or audio file",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    title = forms.CharField(required=False, max_length=255, help_text="Defaults to the file name.")
    model = forms.ChoiceField(
        required=False, label="Model", error_messages={"invalid_choice": "There is no model called %(value)s here."}
    )
    language = forms.ChoiceField(
        required=False,
        label="Language",
        error_messages={"invalid_choice": "%(value)s is not a language this site knows."},
    )
    trim_start_s = forms.FloatField(
        required=False, min_value=0, label="Start at (seconds)", widget=forms.NumberInput(attrs={"step": "any"})
    )
    trim_end_s = forms.FloatField(
        required=False, min_value=0, label="Stop at (seconds)", widget=forms.NumberInput(attrs={"step": "any"})
    )
    # The text stages, each offered only where the site has it on (see TEXT_FIELD_SETTINGS).
    punctuation = forms.BooleanField(required=False, initial=True, label="Punctuation and capitals")
    numbers = forms.BooleanField(required=False, initial=True, label="Numbers as digits (“2026”, “3.5%”)")
    use_word_list = forms.BooleanField(required=False, initial=True, label="Listen for the words of my list")
    words = forms.CharField(
        required=False,
        label="Words for this file",
        help_text="Names and terms it contains, one per line or separated by commas.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    summarize = forms.BooleanField(required=False, initial=False, label="Summarise it when it is done")
    speaker_count = forms.CharField(
        required=False, initial="auto", max_length=20, label="Speakers", help_text=SPEAKERS_HELP
    )

    TEXT_FIELD_SETTINGS = {
        "punctuation": "PUNCTUATION_MODEL",
        "numbers": "NUMBERS_AS_DIGITS",
        "use_word_list": "WORD_LISTS",
        "words": "WORD_LISTS",
        "summarize": "SUMMARY_MODEL",
        "speaker_count": "DIARIZATION",
    }

    def __init__(self, *args, upload_errors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_errors = upload_errors or {}
        self.fields["file"].help_text = f"mp3, mp4, wav, m4a, flac, ogg, opus, webm, mkv, mov, aac; up to {limit_text()}."
        self.offer_model_and_language()
        for name, setting in self.TEXT_FIELD_SETTINGS.items():
            if not getattr(settings, setting):
                del self.fields[name]

    def offer_model_and_language(self):
        """A model to pick when the site offers more than one, and a language
        when one of them takes more than one; otherwise no field at all."""
        models = offered_models.offered_models()
        if len(models) > 1:
            self.fields["model"].choices = [(model.name, model_label(model)) for model in models]
            self.fields["model"].initial = models[0].name
        else:
            del self.fields["model"]
        languages = {code for model in models for code in model.languages}
        if len(languages) > 1:
            first = "Detect it" if any(model.detects_language for model in models) else "The model's own language"
            self.fields["language"].choices = [("", first)] + sorted(
                ((code, display_name(code)) for code in languages), key=lambda choice: choice[1]
            )
            self.fields["language"].help_text = "Detection works with the models that take many languages."
        else:
            del self.fields["language"]

    @property
    def media_fields(self):
        return [field for field in self if field.name not in self.TEXT_FIELD_SETTINGS]

    @property
    def text_fields(self):
        return [field for field in self if field.name in self.TEXT_FIELD_SETTINGS]

    def clean_words(self):
        try:
            return vocabulary.check_words(vocabulary.parse_words(self.cleaned_data["words"]))
        except vocabulary.TooManyWords as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_speaker_count(self):
        try:
            parse_speaker_count(self.cleaned_data["speaker_count"])
        except BadSpeakerCount as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data["speaker_count"]

    def clean(self):
        cleaned = super().clean()
        for field, message in self.upload_errors.items():
            self.add_error(field if field in self.fields else None, message)
        if self.upload_errors:
            return cleaned
        has_file, has_url = bool(cleaned.get("file")), bool(cleaned.get("url"))
        if has_file == has_url and not {"file", "url"} & set(self.errors):
            self.add_error(None, "Choose a file to upload or paste a link, not both.")
        try:
            services.check_trim(cleaned.get("trim_start_s"), cleaned.get("trim_end_s"))
        except services.RequestRefused as exc:
            self.add_error(exc.field, exc.message)
        if not {"model", "language"} & set(self.errors):
            try:
                services.chosen_language(services.chosen_model(cleaned.get("model")), cleaned.get("language"))
            except services.RequestRefused as exc:
                self.add_refusal(exc)
        return cleaned

    def save(self, owner):
        """Create and queue the transcription (services.Created); raises
        services.RequestRefused, which the view shows with add_refusal."""
        data = self.cleaned_data
        return services.create_transcription(
            owner,
            upload=data.get("file") or None,
            url=data.get("url") or None,
            title=data.get("title", ""),
            trim_start_s=data.get("trim_start_s"),
            trim_end_s=data.get("trim_end_s"),
            model=data.get("model", ""),
            language=data.get("language", ""),
            text=self.text_choices(),
        )

    def text_choices(self):
        """What the person chose; a stage the site has off (its field not
        shown) keeps the job's default, so that it applies if switched on later."""
        chosen = {
            name: self.cleaned_data.get(name, False)
            for name in ("punctuation", "numbers", "use_word_list", "summarize")
            if name in self.fields
        }
        if "speaker_count" in self.fields:
            chosen["speaker_count"] = self.cleaned_data.get("speaker_count") or "off"
        return replace(services.TextChoices(), **chosen, words=tuple(self.cleaned_data.get("words") or ()))

    def add_refusal(self, refusal):
        self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)


def model_label(model):
    if model.english_only:
        kind = "English"
    elif model.detects_language:
        kind = f"{len(model.languages)} languages, detects the language"
    else:
        kind = ", ".join(display_name(code) for code in model.languages)
    engine = "Whisper: punctuation and capitals" if model.engine == "whisper" else "CTC: fast, lower case, no punctuation"
    return f"{model.name} ({kind}; {engine})"


class TitleForm(forms.ModelForm):
    class Meta:
        model = Transcription
        fields = ["title"]


class SegmentTextForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def clean_text(self):
        # One line of words: cue and paragraph breaks are the exports' job.
        return " ".join(self.cleaned_data["text"].split())


class WordListForm(forms.ModelForm):
    class Meta:
        model = WordList
        fields = ["words"]
        labels = {"words": "Your words"}
        help_texts = {
            "words": f"One word or phrase a line (commas work too), up to {WordList.MAX_WORDS:,}: names, product "
            "words, jargon. Write them as you want them written."
        }
        widgets = {"words": forms.Textarea(attrs={"rows": 16, "spellcheck": "false"})}

    def clean_words(self):
        try:
            entries = vocabulary.check_words(vocabulary.parse_words(self.cleaned_data["words"]))
        except vocabulary.TooManyWords as exc:
            raise forms.ValidationError(str(exc)) from None
        return "\n".join(entries)
