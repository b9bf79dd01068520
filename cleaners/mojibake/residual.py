"""Layers ftfy leaves behind in doubly garbled text.

Doubly garbled text loses one layer in ftfy and may keep the other where what is
left looks reasonable on its own: "√°" (á), "–∫" (Cyrillic к), "≈´" (ū). Two kinds
of evidence make the repair safe, and both are about the whole run, not a word list:

* the line is known to be garbled in this code page: ftfy, or the repair of a whole
  garbled word, has just decoded part of it from there;
* the run decodes through two valid UTF-8 layers ("‚àö√¢" -> "√â" -> "É"), which
  clean text does not do by accident.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from .codepages import (
    SPACED_ENCODINGS,
    byte_chars,
    encode_misread,
    misread_throughout,
    mojibake_tokens,
    plausible,
    script_of,
    spaced_patterns,
    splice,
    split_edges,
    utf8_char_pattern,
)


@functools.lru_cache(maxsize=8)
def _run_re(encoding: str) -> re.Pattern[str]:
    """Runs of whole UTF-8 sequences read in ``encoding`` (no inserted spaces)."""
    return re.compile(f"(?:{utf8_char_pattern(encoding, '')})+")


def _layers(chars: str, encoding: str) -> list[str]:
    """``chars`` decoded once and twice from UTF-8 read in ``encoding``, while valid."""
    out: list[str] = []
    for _ in range(2):
        try:
            chars = encode_misread(chars, encoding).decode("utf-8")
        except UnicodeError:
            break
        out.append(chars)
    return out


def _clean_run(text: str) -> bool:
    """Letters and marks of one script with punctuation (not symbols) at the edges, or
    punctuation alone; hyphens and apostrophes may join words, each of one script
    ("Инди-курс", "l'équipe", "dihomo-γ-linolénique"); numbers with a unit sign may be
    glued on ("9°C").

    >>> _clean_run("«Инди-курс»,"), _clean_run("l'équipe"), _clean_run("–∫"), _clean_run("√°")
    (True, True, False, False)
    >>> _clean_run("9°C,"), _clean_run("1931à"), _clean_run("9В°C")
    (True, True, False)
    """
    bare = _NUMBER_RE.sub("", text)  # "1931à", "9°C"
    if not bare:
        return False
    pre, core, post = split_edges(bare)
    if any(unicodedata.category(c)[0] != "P" for c in pre + post):
        return False
    # Words joined by a hyphen or an apostrophe, each of one script: "l'équipe",
    # "dihomo-γ-linolénique", "iPhone-ы".
    return all(plausible(part) for part in _JOINERS_RE.split(core) if part)


def _text_or_signs(text: str) -> bool:
    """``_clean_run`` once signs (°, №, €) are set aside, or signs alone: what a token
    of a line known to be garbled may decode to ("nВ°" is "n°", "В°" is "°").

    >>> _text_or_signs("n°"), _text_or_signs("°"), _text_or_signs("aж")
    (True, True, False)
    """
    if _clean_run(text):
        return True
    words = "".join(c for c in text if unicodedata.category(c)[0] != "S")
    return _clean_run(words) if words else bool(text)


_NUMBER_RE = re.compile("[0-9]+[°%‰′″]?")  # a number and its unit sign
_JOINERS_RE = re.compile("(?<=\\w)(?:[-'’]|--)(?=\\w)")  # "--" stands for a dash


def _decode_runs(token: str, encoding: str, layer: int) -> str:
    """``token`` with every run of mojibake in ``encoding`` decoded ``layer`` times over
    (a run that does not decode that far stays)."""

    def decode(m: re.Match[str]) -> str:
        layers = _layers(m.group(), encoding)
        return layers[layer - 1] if len(layers) >= layer else m.group()

    return _run_re(encoding).sub(decode, token)


def _repair_residual_token(
    token: str,
    decoded_from: frozenset[str],
    script: str | None = None,
    throughout: frozenset[str] = frozenset(),
    pages: Counter[int] | None = None,
) -> str | None:
    if token.isascii():
        return None
    if _clean_run(token):
        # A token that reads as text is left alone ("«électeurs", "‘ß’"), unless it is
        # in another script than its line, which it joins once decoded from a code page
        # the line is known garbled in (windows-1251 "ГЂ" is "À" in a French line), or
        # every character it has from that code page's upper half is in a whole
        # sequence (MacRoman "erkƒÖ" is "erką", "»ôi" is "și"; "«électeurs" has an
        # "é" no sequence explains).
        return _foreign_token(token, decoded_from, script) or _covered_token(
            token, throughout, pages or Counter()
        )
    for encoding in SPACED_ENCODINGS:
        if not any(c in spaced_patterns(encoding)[2] for c in token):
            continue
        once = _decode_runs(token, encoding, 1)
        if once == token:
            continue
        if encoding in decoded_from and _text_or_signs(once):
            return once  # one more layer where the line is known to be garbled
        twice = _decode_runs(token, encoding, 2)
        if twice != once and _clean_run(twice) and not _clean_run(once):
            return twice  # two valid layers, and only the second reads as text
    return None


def _covered_token(token: str, throughout: frozenset[str], pages: Counter[int]) -> str | None:
    """``token`` decoded where every character it has from the upper half of a code
    page the line is misread throughout in sits in a whole sequence, and the letters
    it decodes to are from parts of the alphabet the rest of the line writes in
    (repaired Portuguese "«É" would be "ǃ", a click letter no Portuguese line has)."""
    for encoding in sorted(throughout):
        high = sum(c in spaced_patterns(encoding)[2] for c in token)
        covered = sum(m.end() - m.start() for m in _run_re(encoding).finditer(token))
        if high and covered == high:
            once = _decode_runs(token, encoding, 1)
            if not _clean_run(once):
                continue
            # The parts of the alphabet (256 code points) the rest of the line writes in.
            others = pages - Counter(ord(c) >> 8 for c in token if c.isalpha())
            if all(ord(c) >> 8 in others for c in once if c.isalpha()):
                return once
    return None


def _foreign_token(token: str, decoded_from: frozenset[str], script: str | None) -> str | None:
    letters = {script_of(c) for c in token if c.isalpha()}
    if script is None or not letters or letters == {script}:
        return None
    for encoding in sorted(decoded_from):
        once = _decode_runs(token, encoding, 1)
        # Any one script: a known-garbled French line may quote Japanese (ドードー).
        if once != token and _text_or_signs(once):
            return once
    return None


def codecs_of_foreign_tokens(line: str) -> frozenset[str]:
    """Code pages a line is proven garbled in by its own tokens, without a word list.

    A token that does not read as text (a symbol inside a word, letters of two
    scripts, letters of another script than the line's) proves the line garbled in a
    code page when its misread runs decode, in that code page alone, to text in the
    line's script, and it is either a word with a garbled piece (two letters or more
    of the line's script outside the runs: "vallonnГ©" in windows-1251,
    "Gesch√§ftjahres" in MacRoman) or wholly of one other script, two letters or more
    or a lead byte before an NBSP or two spaces ("ГЂ" for "À", "Г" and an NBSP for
    "à"), giving letters from the part of the alphabet the line writes in. Real words do not mix
    scripts, and a foreign word that is valid UTF-8 of the line's own letters is no
    accident; a lone symbol and letter ("√π" in a formula) prove nothing.
    As in ``needs_repair``, the line must be misread throughout in that code page:
    leetspeak ("MÄ£ÄM ÌÑÌ") has a decodable token now and then, not mostly.

    >>> sorted(codecs_of_foreign_tokens("De là, le paysage devient plus vallonnГ© et"))
    ['sloppy-windows-1251']
    >>> sorted(codecs_of_foreign_tokens("im Gesch√§ftjahr"))
    ['macroman']
    >>> codecs_of_foreign_tokens("Москва (Moscow), iPhone-ы, МГУ, Дід, «Ёлка», √π ≈ 1.77")
    frozenset()
    """
    tokens = mojibake_tokens(line)
    if not tokens:
        return frozenset()
    script = _main_script(line)
    pages = {ord(c) >> 8 for c in line if c.isalpha()}
    throughout: dict[str, bool] = {}  # per code page, computed once a token needs it
    found: set[str] = set()
    for m in tokens:
        token = m.group()
        if _clean_run(token) and {script_of(c) for c in token if c.isalpha()} <= {script}:
            continue  # text of the line's script as it stands
        after = line[m.end() : m.end() + 2]
        if after[:1] == "\xa0" or after == "  ":
            # A lost second byte A0 ("à" is "Г" and an NBSP), or that NBSP made a space
            # by white-space handling, before the writer's own: two spaces.
            token += "\xa0"
        readings = [e for e in SPACED_ENCODINGS if _reads_as_text(token, e)]
        if len(readings) != 1:  # two code pages explain it ("DrÃ¥ber"): no proof, as in ftfy
            continue
        encoding = readings[0]
        if encoding in found or not _proves(token, encoding, script, pages):
            continue
        if encoding not in throughout:
            throughout[encoding] = misread_throughout(line, encoding)
        if throughout[encoding]:
            found.add(encoding)
    return frozenset(found)


def _reads_as_text(token: str, encoding: str) -> bool:
    once = _decode_runs(token, encoding, 1)
    return once != token and _clean_run(once.rstrip("\xa0"))


def _proves(token: str, encoding: str, script: str | None, pages: set[int]) -> bool:
    once = _decode_runs(token, encoding, 1)
    if once == token or not _clean_run(once.rstrip("\xa0")):
        return False
    if {script_of(c) for c in once if c.isalpha()} != {script}:
        return False
    letters = [c for c in token if c.isalpha()]
    foreign = {script_of(c) for c in letters} - {script}
    outside = _run_re(encoding).sub("", token)
    if sum(c.isalpha() and script_of(c) == script for c in outside) >= 2:
        # A word with a garbled piece: the piece has another script's letters in it,
        # or sits between the word's letters (a mark after a name is typography:
        # "NESTLÉ®" is no "NESTLɮ").
        return bool(foreign) or _garbled_inside(token, encoding)
    lost_a0 = token.endswith("\xa0") and not once.endswith("\xa0")
    wholly_foreign = len(foreign) == 1 and all(script_of(c) != script for c in letters)
    # Its letters from the part of the alphabet (256 code points) the line writes in:
    # "ГЂ" is "À" in an English line, "ДІ" (a Ukrainian initialism) is no "Ĳ" there.
    familiar = all(ord(c) >> 8 in pages for c in once if c.isalpha())
    return wholly_foreign and familiar and (len(letters) >= 2 or lost_a0)


def _garbled_inside(token: str, encoding: str) -> bool:
    """A misread run of ``token`` has a letter right before and right after it, and
    decodes to a letter ("Weiß\xadwein", a soft hyphen after ß, would decode to a
    combining mark).

    >>> _garbled_inside("Gesch√§ftjahr", "macroman"), _garbled_inside("Weiß\xadwein", "latin")
    (True, False)
    """
    for m in _run_re(encoding).finditer(token):
        a, b = m.span()
        if a > 0 and b < len(token) and token[a - 1].isalpha() and token[b].isalpha():
            layers = _layers(m.group(), encoding)
            if layers and any(c.isalpha() for c in layers[0]):
                return True
    return False


def find_residual_layers(
    line: str, decoded_from: frozenset[str] = frozenset()
) -> list[tuple[int, int, str]]:
    """(start, end, repair) of tokens that do not read as text until mojibake runs in
    them are decoded: one layer in a code page of ``decoded_from`` (the line is known
    to be garbled there), or two layers in any, where one layer does not read as text
    either. Reading as text: letters of one script, punctuation at the edges.

    >>> find_residual_layers("colega √° china", frozenset({"macroman"}))
    [(7, 9, 'á')]
    >>> find_residual_layers("look at HOMM‚àö√¢S")
    [(8, 18, 'HOMMÉS')]
    >>> find_residual_layers("The symbol √§ in a formula")
    []
    >>> find_residual_layers("«électeurs» ‘ß’", frozenset({"macroman"}))
    []
    """
    found = []
    script = _main_script(line) if decoded_from else None
    # Code pages the line is still misread throughout in: a token that reads as text is
    # decoded only there (after a first round, "«É" of repaired Portuguese is also a
    # whole MacRoman sequence; the rest of the line is no longer garbled).
    throughout = frozenset(e for e in decoded_from if misread_throughout(line, e))
    pages = Counter(ord(c) >> 8 for c in line if c.isalpha()) if throughout else Counter()
    for m in mojibake_tokens(line):
        repaired = _repair_residual_token(m.group(), decoded_from, script, throughout, pages)
        if repaired is not None:
            found.append((m.start(), m.end(), repaired))
    return found


@functools.lru_cache(maxsize=8)
def _nbsp_re(encoding: str) -> re.Pattern[str]:
    """A token ending in a two-byte lead byte of ``encoding``, then an NBSP or a space."""
    leads = "".join(re.escape(c) for c in sorted(set(byte_chars(encoding, 0xC2, 0xDF)) - {" "}))
    return re.compile(f"(\\S*[{leads}])[\xa0 ]")


def _main_script(line: str) -> str | None:
    """The script most of the line's letters are in."""
    counts: dict[str, int] = {}
    for c in line:
        if c.isalpha():
            s = script_of(c)
            counts[s] = counts.get(s, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def find_nbsp_sequences(line: str, decoded_from: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, repair) where a character's second byte was 0xA0: "à" (C3 A0) read
    in windows-1251 is "Г" and an NBSP, which white-space handling often turns into a
    space, where ftfy and the word repair see two tokens. Repaired only in a line known
    to be garbled in that code page, for a token that is not text of the line's main
    script as it stands and is once decoded ("ТЕС " in Russian is left alone).

    >>> find_nbsp_sequences("cГ©lГЁbre, dГ©jГ  vu", frozenset({"sloppy-windows-1251"}))
    [(11, 17, 'déjà')]
    >>> find_nbsp_sequences("Г  la", frozenset())
    []
    """
    found = []
    script = _main_script(line)
    for encoding in sorted(decoded_from):
        for m in _nbsp_re(encoding).finditer(line):
            token = m.group(1)
            decoded = _decode_runs(token + "\xa0", encoding, 1)
            if (
                decoded != token + "\xa0"
                and {script_of(c) for c in token if c.isalpha()} != {script}  # not text as is
                and _clean_run(decoded)
                and {script_of(c) for c in decoded if c.isalpha()} == {script}
            ):
                found.append((m.start(), m.end(), decoded))
    found.sort()
    out: list[tuple[int, int, str]] = []
    for span in found:  # two code pages may claim one place: the first stays
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def fix_residual_layers(line: str, decoded_from: frozenset[str] = frozenset()) -> str:
    """Decode what find_residual_layers and find_nbsp_sequences find.

    >>> fix_residual_layers("Подготовка –∫ ЕГЭ", frozenset({"macroman"}))
    'Подготовка к ЕГЭ'
    """
    line = splice(line, find_residual_layers(line, decoded_from))
    return splice(line, find_nbsp_sequences(line, decoded_from)) if decoded_from else line
