"""Languages by code: Whisper's table (ISO 639-1 codes where there is one, and
the lower-case English names OpenAI's verbose_json and whisper-asr-webservice
answer with), and the reading of what a person or an API client sends.

The codes are those of faster-whisper's tokenizer (the Whisper models'
language tokens); `yue` only exists in large-v3 models.
"""

LANGUAGE_NAMES = {
    "en": "english", "zh": "chinese", "de": "german", "es": "spanish", "ru": "russian", "ko": "korean",
    "fr": "french", "ja": "japanese", "pt": "portuguese", "tr": "turkish", "pl": "polish", "ca": "catalan",
    "nl": "dutch", "ar": "arabic", "sv": "swedish", "it": "italian", "id": "indonesian", "hi": "hindi",
    "fi": "finnish", "vi": "vietnamese", "he": "hebrew", "uk": "ukrainian", "el": "greek", "ms": "malay",
    "cs": "czech", "ro": "romanian", "da": "danish", "hu": "hungarian", "ta": "tamil", "no": "norwegian",
    "th": "thai", "ur": "urdu", "hr": "croatian", "bg": "bulgarian", "lt": "lithuanian", "la": "latin",
    "mi": "maori", "ml": "malayalam", "cy": "welsh", "sk": "slovak", "te": "telugu", "fa": "persian",
    "lv": "latvian", "bn": "bengali", "sr": "serbian", "az": "azerbaijani", "sl": "slovenian", "kn": "kannada",
    "et": "estonian", "mk": "macedonian", "br": "breton", "eu": "basque", "is": "icelandic", "hy": "armenian",
    "ne": "nepali", "mn": "mongolian", "bs": "bosnian", "kk": "kazakh", "sq": "albanian", "sw": "swahili",
    "gl": "galician", "mr": "marathi", "pa": "punjabi", "si": "sinhala", "km": "khmer", "sn": "shona",
    "yo": "yoruba", "so": "somali", "af": "afrikaans", "oc": "occitan", "ka": "georgian", "be": "belarusian",
    "tg": "tajik", "sd": "sindhi", "gu": "gujarati", "am": "amharic", "yi": "yiddish", "lo": "lao",
    "uz": "uzbek", "fo": "faroese", "ht": "haitian creole", "ps": "pashto", "tk": "turkmen", "nn": "nynorsk",
    "mt": "maltese", "sa": "sanskrit", "lb": "luxembourgish", "my": "myanmar", "bo": "tibetan", "tl": "tagalog",
    "mg": "malagasy", "as": "assamese", "tt": "tatar", "haw": "hawaiian", "ln": "lingala", "ha": "hausa",
    "ba": "bashkir", "jw": "javanese", "su": "sundanese", "yue": "cantonese",
}  # fmt: skip

# What a multilingual Whisper model before large-v3 knows: every code but yue.
WHISPER_LANGUAGES = tuple(code for code in LANGUAGE_NAMES if code != "yue")
_CODES_BY_NAME = {name: code for code, name in LANGUAGE_NAMES.items()}


def language_name(code):
    """'english' for 'en'; the code itself when it is not in the table."""
    return LANGUAGE_NAMES.get(code, code)


def display_name(code):
    """'English' for 'en', for pages."""
    return language_name(code).title() if code in LANGUAGE_NAMES else code


def language_code(text):
    """The code for what a client sent: a code ('de'), a regional form
    ('en-GB', 'pt_BR') or a name ('German'). '' for nothing (detect or the
    model's own language); None when it names no language in the table."""
    text = (text or "").strip().lower()
    if not text:
        return ""
    if text in LANGUAGE_NAMES:
        return text
    if text in _CODES_BY_NAME:
        return _CODES_BY_NAME[text]
    base = text.replace("_", "-").split("-")[0]
    return base if base in LANGUAGE_NAMES else None
