from django import forms

from timedtext.languages import display_name

from . import offered_models, services
from .models import Segment, Transcription
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

    def __init__(self, *args, upload_errors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_errors = upload_errors or {}
        self.fields["file"].help_text = f"mp3, mp4, wav, m4a, flac, ogg, opus, webm, mkv, mov, aac; up to {limit_text()}."
        self.offer_model_and_language()

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
        )

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
