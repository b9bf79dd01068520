"""Measures of a line: phrase matches and shallow shape features. Never edits text.

Phrases are grouped by the boilerplate category they signal; each pattern has a
rule name that ends up in the audit trail. Patterns are anchored and bounded (no
nested quantifiers) so they stay linear on hostile input, and use only syntax that
Python's ``re`` and Rust's ``regex`` (Polars) read alike: no look-around, no
back-references.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_I = re.IGNORECASE

# --- whole-line phrases (the line is nothing but this) -----------------------------

ADVERTISEMENT_LINE_RE = re.compile(
    r"(?:advertisements?|advertising|advertorial|ads?"
    r"|sponsored(?: (?:content|post|links?|stories))?"
    r"|(?:advertisement|ad)\W{0,3}(?:continue|scroll) (?:reading|down)(?: below)?"
    r"|publicit[ée]|anzeige|werbung|publicidad)",
    _I,
)

SITE_CHROME_LINE_RE = re.compile(
    r"(?:exit mobile version|skip to (?:main )?(?:content|navigation|footer)|toggle navigation"
    r"|(?:main |open |close )?menu|search|home(?:page)?|back to top|(?:scroll|go) to top|close"
    r"|print(?: this (?:article|page))?|share(?: this)?(?: (?:article|story|post|page))?"
    r"|share on \w+|tweet|email|e-mail|facebook|twitter|linkedin|whatsapp|pinterest|reddit"
    r"|telegram|copy link|link copied|sign in|log ?in|log out|register"
    r"|listen(?: to this article)?|comments?|\d+ comments?|leave a (?:comment|reply)"
    r"|show comments|loading|next article|previous article|next|previous"
    r"|more|load more|see more|view all|show more|follow us|follow"
    # public source: Jetpack's share button label
    r"|click to share on \w+(?: \(opens in new window\))?"
    r"|accept(?: all)?(?: cookies)?|reject all|manage (?:cookies|preferences)|got it)",
    _I,
)

# --- prefixes: the line starts with this, then a colon and more -------------------

_RELATED_PHRASES = (
    r"read also|also read|read more|read next|related(?: (?:articles?|stories|posts?"
    r"|coverage|content|news|reading|topics|links?))?|more (?:from|on|about|in) [^:\n]{1,40}"
    r"|more (?:news|stories|articles)|recommended(?: (?:for you|stories|articles|reading))?"
    r"|you (?:may|might) also (?:like|enjoy|be interested in)|on the (?:subject|topic)"
    r"|further reading|top stories"
    r"|latest (?:news|stories|articles)|most (?:read|popular|viewed)|trending(?: now)?"
    r"|popular (?:posts|stories|articles)|lesen sie auch|mehr zum thema"
)
# A heading that opens a section after the article (the line is nothing but this, its
# edge punctuation stripped): comments, tags, related links. The model's second stage
# reads how many lie between a line and the article's span; never a removal alone.
SECTION_HEADING_RE = re.compile(
    r"(?:\d+ )?(?:comments?|leave a (?:comment|reply)|post a comment|thoughts on .{1,120}"
    r"|tags?|topics|categories|about the author|related|more stories|kommentare?"
    r"|comentarios?|themen|mehr zum thema|etiquetas|関連記事|评论)",
    _I,
)
# "Related:" / "More from Reuters" -- a header on its own.
RELATED_HEADER_RE = re.compile(
    rf"(?:{_RELATED_PHRASES})(?: (?:on|at|in|from) [^:\n]{{1,40}})?\s*[:.…»>-]*", _I
)
# "READ MORE: <headline>" -- a link line.
RELATED_PREFIX_RE = re.compile(
    rf"(?:{_RELATED_PHRASES})(?: (?:on|at|in|from) [^:\n]{{1,40}})?\s*[:|»>–—-]\s*\S", _I
)

PROMO_PREFIX_RE = re.compile(
    r"(?:you (?:may|might) (?:also )?be interested in|don'?t miss|also interesting|must read"
    r"|editor'?s (?:pick|choice)|sponsored|partner|promoted|watch|listen|download (?:our|the) app"
    r")\s*[:|»>–—-]",
    _I,
)
PROMO_ANYWHERE_RE = re.compile(
    r"download (?:our|the) (?:free )?app"
    r"|available on the app store"  # public source: Apple's App Store badge
    r"|get it on google play",  # public source: Google Play's store badge
    _I,
)

PHOTO_CREDIT_RE = re.compile(
    r"(?:images?|credits?|photo credits?|image credits?|fotos?|foto)"
    r"(?: (?:by|courtesy(?: of)?|source|via))?\s*[:|/©]",
    _I,
)
PHOTO_BY_RE = re.compile(r"\(?(?:photo|image)s? by [^)\n]{2,60}\)?$", _I)
# Image agencies and stock libraries: a short line naming one is a credit.
PHOTO_AGENCY_RE = re.compile(
    r"getty ?images|shutterstock|dreamstime|unsplash|afp(?: via getty)?", _I
)

SUBSCRIBE_START_RE = re.compile(
    # "Sign up numbers doubled": a noun; a call is followed by to/for/now/here, a stop,
    # or nothing.
    r"(?:sign up|subscribe)(?: (?:to|for|now|here|today|below|free|and|or)\b|\s*[:!.,]|\s*$)"
    r"|(?:join (?:our|the|\d[\d,.]* )|get (?:our|the) [\w ]{0,20}newsletter"
    r"|enter your e-?mail|never miss|stay (?:informed|up to date|in the know|connected)"
    r"|want (?:more|the latest)|suscríbete)\b",
    _I,
)
SUBSCRIBE_CUE_RE = re.compile(
    r"\b(?:subscrib\w*|newsletters?|sign(?:ing)? ?up|inbox|unsubscribe|spam|e-?mail address"
    r"|privacy policy|telegram|instagram|facebook|google news|donat\w+|support us|follow us"
    r"|push notifications|alerts)\b",
    _I,
)
SYNDICATION_RE = re.compile(
    # "The article posted" is a noun phrase in a sentence: a note says when or where.
    r"(?:this|the) article was (?:first |originally )?published"
    r"|originally published (?:on|in)"
    # "The post <Title> appeared first on <Site>." -- a title follows "post".
    # public source: Yoast SEO's RSS footer
    r"|the post (?-i:[A-Z0-9\"“'‘]).{0,200} appeared first on",
    _I,
)

# "Copyright 2025 Example", "© Example News" -- not "Copyright law was reformed".
COPYRIGHT_RE = re.compile(
    # The word alone starts headings ("Copyright Complexity in a Fragmented World"):
    # after it, a year or the sign, or a name and then a year.
    r"(?:©|\(c\))\s*(?:\d{4}|(?-i:[A-Z0-9]))|copyright\s*(?:©|\d{4})"
    r"|^copyright\s+(?:(?-i:[A-Z])\S*\s+){1,5}(?:19|20)\d\d"
    r"|all rights reserved",
    _I,
)
COOKIE_RE = re.compile(
    r"(?:we|this (?:site|website)) uses? cookies|cookie (?:policy|settings|preferences|consent)"
    r"|accept (?:all )?cookies|by continuing to (?:use|browse)",
    _I,
)
# Element names of HTML, and phpBB's default BBCodes: "<repo url>" in a code sample is
# not markup.
_HTML_TAGS = (
    # public source: the HTML standard
    r"a|p|b|i|u|s|em|strong|span|div|br|hr|img|link|iframe|script|style|noscript|figure"
    # public source: the HTML standard
    r"|figcaption|caption|blockquote|li|ul|ol|h[1-6]|table|tr|td|th|embed|video|source"
    # public source: the HTML standard
    r"|section|article|header|footer|nav|aside|sup|sub|small|center|font"
)
_BBCODES = r"b|i|u|quote|img|url|color|size|list|code"  # public source: phpBB's default BBCodes
MARKUP_RESIDUE_RE = re.compile(
    rf"\[/?(?:{_BBCODES})(?:=[^\]\n]{{0,200}})?\]"
    rf"|</?(?:{_HTML_TAGS})(?:\s[^<>\n]{{0,200}})?/?>",
    _I,
)

# Scripts written without spaces between words (by Unicode block: Han with its
# extensions and compatibility forms, Hiragana, Katakana with its phonetic extensions and
# half-width forms, Thai, Lao, Khmer, Myanmar). There every character counts as a word
# in each "N words" rule, feature and threshold; a space-split count would make a whole
# Japanese paragraph one word. (Hangul is written with spaces: counted as words.)
UNSPACED_CHARS = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3005\u3007"
    "\u3021-\u3029\u3031-\u3035\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\ua9e0-\ua9ff\uaa60-\uaa7f"
    "\U00020000-\U0003134f"
)  # as characters (not escapes): Python's re and Rust's regex read the class alike
# A word: one character of an unspaced script, or a run of other word characters
# (with inner apostrophes and hyphens).
WORD_PATTERN = f"[{UNSPACED_CHARS}]|[^\\W{UNSPACED_CHARS}]+(?:['’-][^\\W{UNSPACED_CHARS}]+)*"
_WORD_RE = re.compile(WORD_PATTERN)
# Sentence ends, with the full-width marks of Chinese and Japanese and Burmese's.
_TERMINAL = ".!?…\"'”»)。！？」』။"


def count_words(text: str) -> int:
    """Words, where a character of a script written without spaces is one.

    >>> count_words("Don't stop the well-known band"), count_words("気象庁は13日")
    (5, 6)
    """
    return len(_WORD_RE.findall(text))


def word_counts(lines: Sequence[str]) -> list[int]:
    """``count_words`` of each line, in one pass of Rust's regex over all of them (the
    same matches as Python's: checked over every code point); a line Polars cannot
    hold (a lone surrogate) sends the whole list to Python's.

    >>> word_counts(["Don't stop the well-known band", "気象庁は13日", "a" + chr(0xD800) + " b"])
    [5, 6, 2]
    """
    import polars as pl

    try:
        series = pl.Series(lines, dtype=pl.String)
    except UnicodeEncodeError:
        return [count_words(line) for line in lines]
    return series.str.count_matches(WORD_PATTERN).to_list()


@dataclass(frozen=True)
class LineSignals:
    """What we measured of one line; the decision is boilerplate.py's."""

    n_words: int
    n_chars: int
    ends_sentence: bool
    has_letters: bool
    whole: str  # the line lowercased with edge punctuation stripped
    subscribe_cues: int
    markup_chars: int


def strip_edges(line: str, keep: Callable[[str], bool] = str.isalnum) -> str:
    """The line without the characters at its ends that ``keep`` refuses: by default
    punctuation, symbols and spaces.

    >>> strip_edges("  — ADVERTISEMENT — ")
    'ADVERTISEMENT'
    >>> strip_edges("«2024»,", str.isalpha), strip_edges("(l'été)", str.isalpha)
    ('', "l'été")
    """
    start, end = 0, len(line)
    while start < end and not keep(line[start]):
        start += 1
    while end > start and not keep(line[end - 1]):
        end -= 1
    return line[start:end]


def measure_line(line: str) -> LineSignals:
    stripped = line.rstrip()
    return LineSignals(
        n_words=count_words(line),
        n_chars=len(line),
        ends_sentence=bool(stripped) and stripped[-1] in _TERMINAL,
        has_letters=any(c.isalpha() for c in line),
        whole=strip_edges(line).lower(),
        subscribe_cues=len({m.group().lower()[:6] for m in SUBSCRIBE_CUE_RE.finditer(line)}),
        markup_chars=sum(len(m.group()) for m in MARKUP_RESIDUE_RE.finditer(line)),
    )


class _KeyTable(dict):
    """``str.translate`` table for line_key, filled per code point on first sight:
    punctuation, symbols and combining marks out, digits to 0 (one C-level pass
    instead of a Python loop over characters)."""

    def __missing__(self, cp: int) -> str | None:
        ch = chr(cp)
        cat = unicodedata.category(ch)
        value = None if cat[0] in "PS" or cat == "Mn" else "0" if ch.isdigit() else ch
        self[cp] = value
        return value


_KEY_TABLE = _KeyTable()
# ASCII punctuation and symbols out, digits to 0, as bytes.translate does it (a pass in
# C, where str.translate looks every character of a non-ASCII string up in the table):
# the characters of a UTF-8 sequence are all >= 0x80, so the ASCII table leaves them be.
_ASCII_DELETE = bytes(c for c in range(128) if _KEY_TABLE[c] is None)
_ASCII_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_NON_ASCII_RUN = r"[^\x00-\x7f]+"  # a string: line_key's detail, not a feature's pattern


def line_key(line: str) -> str:
    """cc_net's line normalization: lowercase, digits to 0, punctuation and accents out.

    >>> line_key("  Share this on Facebook! (12 comments)")
    'share this on facebook 00 comments'
    >>> line_key("Café ²")
    'cafe 0'
    """
    return " ".join(_keyed(line).split())


def line_keys(text: str) -> list[str]:
    """``line_key`` of each line of ``text`` (split at line feeds), normalizing the
    text in one pass: every step is per character or per combining sequence, which a
    line feed ends, and a line feed passes them unchanged.

    >>> text = "Café ² \\n\\n  ΟΔΟΣ!\\tNo. 12"
    >>> line_keys(text) == [line_key(line) for line in text.split("\\n")]
    True
    """
    return [" ".join(line.split()) for line in _keyed(text).split("\n")]


def _keyed(text: str) -> str:
    """line_key's characters, before spaces are collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    if not decomposed.isascii():  # the table for the rest, run by run
        decomposed = re.sub(_NON_ASCII_RUN, lambda m: m.group().translate(_KEY_TABLE), decomposed)
    raw = decomposed.encode("utf-8", "surrogatepass").translate(_ASCII_DIGITS, _ASCII_DELETE)
    return raw.decode("utf-8", "surrogatepass")


def key_hash(key: str) -> int:
    """``line_hash`` of a line whose ``line_key`` is ``key``."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def line_hash(line: str) -> int:
    """A stable 64-bit hash of ``line_key(line)``, the unit of cross-document counts
    (the big-endian value of the 8-byte BLAKE2b digest, so the hex digests of earlier
    versions convert with ``int(h, 16)``).

    >>> line_hash("Share this!") == line_hash("share THIS"), line_hash("x") < 2**64
    (True, True)
    """
    return key_hash(line_key(line))
