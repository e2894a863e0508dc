"""The words of search, the same for SQLite and PostgreSQL: how text and queries
are cut into words, what a match means, and the snippet that shows it. Plain
Python: the database side is search_index.py, the page's side search.py.

Words are cut and normalized here, in Python, once for both databases: a segment's
`search_text` column holds its words casefolded, without Latin/Greek/Cyrillic
accents, one space apart; the database only indexes those ready-made words
(SQLite: an FTS5 table kept in step by triggers; PostgreSQL: a stored tsvector
column with the `simple` configuration and a GIN index, see search_index.py).
Neither database's own word rules (stemming, stop words, how each cuts "don't"
or a Hindi word) then decide what matches, so a plain word query finds the same
segments on both, in any language: the transcripts are multilingual, and an
English stemmer would do nothing for them but make the two databases disagree.
Chinese and Japanese have no spaces between words: each of their characters is a
word of its own, and a query's characters must appear in a row (a phrase).

The query language: words (all must appear), "a phrase", -word or -"a phrase"
(must not appear), word* (a word starting so). The query handed to the database
is built from our own tokens, never from the person's text, so quotes, SQL, FTS
operators and odd characters cannot reach a parser.

Where other text should be found too (a speaker's name, issue 16), put it into
`search_text_of`'s input: everything searchable flows through that one function.
"""

import html
import re
import unicodedata
from dataclasses import dataclass

from django.utils.safestring import mark_safe

# Words longer than this are dropped: PostgreSQL refuses to index words over
# 2 KB, and nobody searches for a 64-letter word.
MAX_WORD_CHARS = 64
# A query of more terms than this is cut: every term costs an index lookup.
MAX_TERMS = 12
SNIPPET_CHARS = 240

# Scripts written without spaces: each character is a word.
_SINGLE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30fc"


def _mark_class():
    # Combining marks belong inside words (Hindi, Arabic, Hebrew vowel signs);
    # Python's \w leaves them out, so name them once, from Unicode's tables.
    marks, start = [], None
    for code in range(0x20000):
        is_mark = unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            marks.append((start, code - 1))
            start = None
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in marks)


_WORD_RE = re.compile(f"[{_SINGLE}]|(?:(?![{_SINGLE}])(?:[^\\W_]|[{_mark_class()}]))+")
_ACCENTS_RE = re.compile("[\u0300-\u036f]")


def normalize(word):
    """The words one piece of text stands for, as stored: casefolded, Latin,
    Greek and Cyrillic accents dropped ("Résumé" → ["resume"])."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = unicodedata.normalize("NFC", _ACCENTS_RE.sub("", folded))
    return [token for token in _WORD_RE.findall(folded) if len(token) <= MAX_WORD_CHARS]


def words(text):
    """(start, end, normalized words) for each word of `text`, in order."""
    for match in _WORD_RE.finditer(text or ""):
        yield match.start(), match.end(), normalize(match.group())


def search_text_of(text):
    """What the search index holds for a segment's text."""
    return " ".join(token for _start, _end, tokens in words(text) for token in tokens)


@dataclass(frozen=True)
class Term:
    """A word or a phrase (several words in a row); the last may be a prefix."""

    tokens: tuple
    prefix: bool = False

    def matches(self, token, position):
        wanted = self.tokens[position]
        if self.prefix and position == len(self.tokens) - 1:
            return token.startswith(wanted)
        return token == wanted


@dataclass(frozen=True)
class Query:
    include: tuple = ()
    exclude: tuple = ()
    # The raw words of the query, for the title search.
    text: str = ""

    def __bool__(self):
        return bool(self.include)


_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
_CHUNK_RE = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def parse_query(text):
    """A Query from what a person typed; anything unparseable is just words."""
    # Control characters (a NUL above all: PostgreSQL refuses it in text) are spaces.
    text = _CONTROL_RE.sub(" ", text or "")
    include, exclude = [], []
    for match in _CHUNK_RE.finditer(text):
        quoted = match.group(2) is not None
        negated = bool(match.group(1) if quoted else match.group(3))
        chunk = match.group(2) if quoted else match.group(4)
        prefix = not quoted and chunk.endswith("*")
        tokens = tuple(token for _start, _end, found in words(chunk) for token in found)
        if not tokens:
            continue
        term = Term(tokens, prefix=prefix)
        if len(include) + len(exclude) < MAX_TERMS and term not in include + exclude:
            (exclude if negated else include).append(term)
    return Query(tuple(include), tuple(exclude), " ".join(text.split()))


# ---- the query each database gets (tokens only: letters, digits and marks) ----


def fts5_query(query):
    def term(t):
        return '"' + " ".join(t.tokens) + '"' + ("*" if t.prefix else "")

    wanted = " AND ".join(term(t) for t in query.include)
    if query.exclude:
        return f"({wanted}) NOT ({' OR '.join(term(t) for t in query.exclude)})"
    return wanted


def tsquery(query):
    def term(t):
        last = len(t.tokens) - 1
        parts = [f"'{token}'" + (":*" if t.prefix and i == last else "") for i, token in enumerate(t.tokens)]
        return "(" + " <-> ".join(parts) + ")"

    wanted = " & ".join(term(t) for t in query.include)
    if query.exclude:
        return f"({wanted}) & !({' | '.join(term(t) for t in query.exclude)})"
    return wanted


# ---- showing where the words were found ----


def _found(tokens, term):
    size = len(term.tokens)
    return [
        first
        for first in range(len(tokens) - size + 1)
        if all(term.matches(tokens[first + k], k) for k in range(size))
    ]


def matches(text, query):
    """Whether `text` matches: the meaning both databases' indexes implement,
    spelled out in Python (the tests hold each database to it)."""
    tokens = search_text_of(text).split()
    return bool(query) and all(_found(tokens, term) for term in query.include) and not any(
        _found(tokens, term) for term in query.exclude
    )


def marked_spans(text, query):
    """(start, end) of the words of `text` that the query's terms match, a
    phrase only where all its words stand in a row."""
    found = [(start, end, tokens) for start, end, tokens in words(text)]
    flat = [(index, token) for index, (_s, _e, tokens) in enumerate(found) for token in tokens]
    tokens = [token for _index, token in flat]
    marked = set()
    for term in query.include:
        for first in _found(tokens, term):
            marked.update(flat[first + k][0] for k in range(len(term.tokens)))
    return [(found[i][0], found[i][1]) for i in sorted(marked)]


def snippet(text, query, width=SNIPPET_CHARS):
    """The text around the first match, HTML-escaped, matched words in <mark>."""
    spans = marked_spans(text, query)
    begin, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0] if spans else 0
        begin = max(0, min(first - width // 3, len(text) - width))
        end = begin + width
        # Cut at spaces, not inside words.
        if begin:
            begin = text.find(" ", begin, first) + 1 if " " in text[begin:first] else begin
        if end < len(text) and " " in text[begin:end]:
            end = text.rfind(" ", begin, end)
    pieces, at = [], begin
    for start, stop in spans:
        if start < at or stop > end:
            continue
        pieces.append(html.escape(text[at:start]))
        pieces.append(f"<mark>{html.escape(text[start:stop])}</mark>")
        at = stop
    pieces.append(html.escape(text[at:end]))
    # Safe: every piece of the text went through html.escape above.
    return mark_safe(("… " if begin else "") + "".join(pieces) + (" …" if end < len(text) else ""))
