"""Numbers as digits: "twenty twenty six" -> "2026", "three point five percent"
-> "3.5%", "ten thirty a m" -> "10:30 a.m.".

Words in, words out. text2num's `find_numbers` finds the spoken numbers (it
parses "a hundred and twenty", "three point five", "twenty first"); the rules
here write them as a reader expects: years, money, percentages, times, digit
strings and scale words, which text2num leaves as separate numbers ("20 26",
"3 dollars"). A number made of several words becomes one word spanning them
(start of the first, end of the last); every other word is passed through as
it is, so no time is lost or reordered.

Small numbers stay words (AP style, `NumberOptions.spell_out_up_to`): "one of
them", "the one I like", "three kids", "he came first". Amounts, percentages,
times and digit strings are digits whatever their size.
"""

import re
from dataclasses import dataclass

from timedtext import Word


@dataclass(frozen=True)
class NumberOptions:
    """spell_out_up_to: a lone number (or ordinal) up to this stays a word.
    min_digit_string: this many single digits in a row are one digit string
    ("five five five one" -> "5551"); fewer stay separate numbers.
    max_pause_s: a longer pause between two words separates two numbers."""

    spell_out_up_to: int = 9
    min_digit_string: int = 3
    max_pause_s: float = 1.0

    def __post_init__(self):
        if self.spell_out_up_to < 0 or self.min_digit_string < 2 or self.max_pause_s <= 0:
            raise ValueError("need spell_out_up_to >= 0, min_digit_string >= 2, max_pause_s > 0")


CURRENCIES = {"dollar": "$", "dollars": "$", "euro": "€", "euros": "€"}  # not "pounds": also a weight
CENTS = {"cent", "cents"}
SCALES = {"million", "billion", "trillion"}
SCALE_STARTS = {"hundred", "thousand", "million", "billion"}  # "a hundred": the "a" is part of it
MERIDIEMS = {("a", "m"): "a.m.", ("p", "m"): "p.m.", ("am",): "a.m.", ("pm",): "p.m."}
ZERO_WORDS = {"oh", "o"}
DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}  # "nineteen oh five", "four oh two"
TRAILING_PUNCTUATION = re.compile(r"[.,;:?!]+$")


def found_numbers(tokens):
    """text2num's occurrences of numbers in `tokens` (threshold 0: all of them)."""
    from text_to_num import find_numbers

    try:
        return find_numbers(tokens, "en", threshold=0.0)
    except Exception:
        raise
    except BaseException as exc:
        # A panic in text2num's Rust code arrives as pyo3's PanicException, a
        # BaseException that `except Exception` would let through to kill the
        # job: as an ordinary error the stage fails alone.
        if type(exc).__name__ != "PanicException":
            raise
        raise RuntimeError(f"text2num failed: {exc}") from None


class Token:
    """A word as text2num's find_numbers sees it (its Token protocol). All three
    methods are needed: a missing one panics inside the Rust extension."""

    def __init__(self, word: Word, previous: Word | None, options: NumberOptions):
        self.word = word
        self.bare = TRAILING_PUNCTUATION.sub("", word.text).lower()
        self.separated = previous is not None and (
            TRAILING_PUNCTUATION.search(previous.text) is not None
            or word.start_s - previous.end_s > options.max_pause_s
        )

    def text(self):
        return self.bare

    def nt_separated(self, previous):
        return self.separated

    def not_a_number_part(self):
        return False


@dataclass(frozen=True)
class Number:
    start: int  # word index
    end: int  # exclusive
    text: str  # text2num's digits: "21st", "3.5", "123456"
    value: float
    is_ordinal: bool

    @property
    def is_integer(self):
        return not self.is_ordinal and self.value == int(self.value) and "." not in self.text


def with_separators(number: Number) -> str:
    if number.is_integer and number.value >= 10_000:
        return f"{int(number.value):,}"
    return number.text


def written(number: Number, last_word: str) -> str:
    """ "five hundred million" -> "500 million", not "500,000,000"."""
    scale = {"million": 10**6, "billion": 10**9, "trillion": 10**12}.get(last_word)
    if scale and number.is_integer and number.value > scale and number.value % scale == 0:
        return f"{int(number.value) // scale} {last_word}"
    return with_separators(number)


class Reader:
    """One pass over the words, left to right, with the numbers text2num found."""

    def __init__(self, words, options: NumberOptions):
        self.words = words
        self.options = options
        self.tokens = [Token(word, words[i - 1] if i else None, options) for i, word in enumerate(words)]
        found = found_numbers(self.tokens)
        self.numbers = {o.start: Number(o.start, o.end, o.text, o.value, o.is_ordinal) for o in found}

    def bare(self, index):
        return self.tokens[index].bare if index < len(self.tokens) else None

    def joined(self, index):
        """Word `index` follows the one before it with no pause or punctuation."""
        return index < len(self.tokens) and not self.tokens[index].separated

    def number_at(self, index):
        return self.numbers.get(index) if self.joined(index) else None

    def digit_at(self, index):
        """The digit word `index` says, if it is one ("oh" only between digits)."""
        number = self.numbers.get(index)
        if number and number.end == index + 1 and number.is_integer and number.value < 10:
            return str(int(number.value))
        if self.bare(index) in ZERO_WORDS and index > 0 and self.joined(index + 1) and self.digit_at(index + 1):
            return "0"
        return None

    def read(self, start) -> tuple[int, str] | None:
        """(end, text) of a number starting at word `start`, or None."""
        number = self.numbers.get(start)
        if number is None and self.bare(start) == "a" and self.joined(start + 1):
            number = self.numbers.get(start + 1)
            if number is None or self.bare(start + 1) not in SCALE_STARTS:
                return None
        if number is None:
            return None
        for rule in (self.time, self.year, self.money, self.percent, self.digit_string, self.scaled):
            read = rule(number)
            if read:
                return read
        if number.end - number.start == 1 and number.value <= self.options.spell_out_up_to:
            return None  # "one of them", "three kids", "he came first"
        return number.end, self.written(number)

    def written(self, number: Number) -> str:
        return written(number, self.bare(number.end - 1))

    def time(self, hour: Number):
        if not (hour.is_integer and 1 <= hour.value <= 12 and hour.end - hour.start == 1):
            return None
        end, minutes = hour.end, "00"
        following = self.number_at(end)
        if following and following.is_integer and 10 <= following.value <= 59:
            end, minutes = following.end, str(int(following.value))
        elif self.bare(end) in ZERO_WORDS and self.joined(end) and self.digit_at(end + 1) not in (None, "0"):
            end, minutes = end + 2, "0" + self.digit_at(end + 1)
        for spoken, written in MERIDIEMS.items():
            if tuple(self.bare(end + i) for i in range(len(spoken))) == spoken and self.joined(end):
                clock = f"{int(hour.value)}" if minutes == "00" else f"{int(hour.value)}:{minutes}"
                return end + len(spoken), f"{clock} {written}"
        return None

    def year(self, century: Number):
        if not (century.is_integer and 11 <= century.value <= 20 and century.end - century.start == 1):
            return None
        rest = self.number_at(century.end)
        if rest and rest.is_integer and 10 <= rest.value <= 99:
            return rest.end, f"{int(century.value)}{int(rest.value)}"
        if self.bare(century.end) in DECADES and self.joined(century.end):  # "the nineteen nineties"
            return century.end + 1, f"{int(century.value)}{DECADES[self.bare(century.end)]}s"
        if self.bare(century.end) in ZERO_WORDS and self.joined(century.end) and self.digit_at(century.end + 1):
            return century.end + 2, f"{int(century.value)}0{self.digit_at(century.end + 1)}"
        return None

    def money(self, amount: Number):
        if amount.is_ordinal:
            return None
        end, text = amount.end, self.written(amount)
        scale = self.number_at(end)
        if scale and self.bare(end) in SCALES and scale.end == end + 1:
            end, text = end + 1, f"{text} {self.bare(end)}"
        symbol = CURRENCIES.get(self.bare(end)) if self.joined(end) else None
        if symbol is None:
            return None
        end += 1
        cents = self.number_at(end + 1) if self.bare(end) == "and" and self.joined(end) else None
        if (
            cents
            and cents.is_integer
            and cents.value < 100
            and self.bare(cents.end) in CENTS
            and amount.is_integer
            and text.isdigit()
        ):
            return cents.end + 1, f"{symbol}{text}.{int(cents.value):02d}"
        return end, f"{symbol}{text}"

    def percent(self, amount: Number):
        end = amount.end
        if amount.is_ordinal or not self.joined(end):
            return None
        if self.bare(end) == "percent":
            return end + 1, f"{self.written(amount)}%"
        if (self.bare(end), self.bare(end + 1)) == ("per", "cent"):
            return end + 2, f"{self.written(amount)}%"
        return None

    def digit_string(self, first: Number):
        digits, index = [], first.start
        while index < len(self.words) and (index == first.start or self.joined(index)):
            digit = self.digit_at(index)
            if digit is None:
                break
            digits.append(digit)
            index += 1
        if len(digits) < self.options.min_digit_string:
            return None
        return index, "".join(digits)

    def scaled(self, amount: Number):
        scale = self.number_at(amount.end)
        if amount.is_ordinal or not scale or scale.end != amount.end + 1 or self.bare(amount.end) not in SCALES:
            return None
        return scale.end, f"{with_separators(amount)} {self.bare(amount.end)}"


def merged(words, start, end, text) -> Word:
    """One word for words[start:end], keeping the last word's punctuation."""
    trailing = TRAILING_PUNCTUATION.search(words[end - 1].text)
    return Word(text + (trailing.group() if trailing else ""), words[start].start_s, words[end - 1].end_s)


def numbers_as_digits(words, options=NumberOptions()) -> list[Word]:
    """`words` with spoken numbers written as digits; a number of several words
    becomes one word spanning them."""
    words = list(words)
    if not words:
        return []
    reader = Reader(words, options)
    written, index = [], 0
    while index < len(words):
        read = reader.read(index)
        if read is None:
            written.append(words[index])
            index += 1
        else:
            end, text = read
            written.append(merged(words, index, end, text))
            index = end
    return written
