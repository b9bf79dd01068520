from __future__ import annotations

import ftfy
import pytest

from cleaners import fix_mojibake
from cleaners.mojibake import (
    FTFY_CONFIG,
    fix_mojibake_and_explain,
    fix_spaced_mojibake,
    may_have_mojibake,
)

SEED_LINE = "Also, don't forget to subscribe to our РєР ° РЅР ° Р »РІ Telegram and Instagram- there"


def test_seed_spaced_mojibake_is_repaired() -> None:
    fixed, fixes = fix_mojibake_and_explain(SEED_LINE)
    assert "subscribe to our канал в Telegram and Instagram- there" in fixed
    assert fixes == ["fix_spaced_mojibake"]


def test_ftfy_leaves_the_seed_line_alone() -> None:
    # Why the spaced repair exists: the engine cannot see this kind.
    assert ftfy.fix_text(SEED_LINE, FTFY_CONFIG) == SEED_LINE


@pytest.mark.parametrize(
    "clean",
    [
        "Москва — столица России. «Ёлка» стоит 25 °C.",
        "Ελληνικά κείμενα με «εισαγωγικά» και · τελεία",
        "東京都は日本の首都です。「引用」",
        "São Paulo, Zürich, Kraków, Ærøskøbing — naïve café",
        "Jean-Ã Dupont wrote » here « and · there",
        "Temperature 25 ° C » next",
    ],
)
def test_clean_text_in_any_script_is_unchanged(clean: str) -> None:
    assert fix_mojibake(clean) == clean


@pytest.mark.parametrize(
    "word,encoding",
    [
        ("канал", "cp1251"),
        ("новости", "cp1251"),
        ("café", "cp1252"),
        ("señor", "latin-1"),
    ],
)
def test_unspaced_mojibake_round_trips(word: str, encoding: str) -> None:
    garbled = f"see {word.encode('utf-8').decode(encoding)} now"
    assert fix_mojibake(garbled) == f"see {word} now"


def test_spaced_latin_mojibake_inside_a_word() -> None:
    garbled = (
        "un caf"
        + "é".encode().decode("cp1252")[0]
        + " "
        + "é".encode().decode("cp1252")[1]
        + " au lait"
    )
    assert fix_spaced_mojibake(garbled) == "un café au lait"


def test_fast_path_skips_only_lines_ftfy_cannot_change() -> None:
    assert not may_have_mojibake("He said “no” — and left… 100% sure.")
    assert may_have_mojibake("donâ€™t")
    assert may_have_mojibake("РєР°РЅР°Р»")


# --- equivalence with the pinned ftfy configuration -------------------------------

import json  # noqa: E402
import random  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bench.workloads.garble import GARBLE_ENCODINGS, KINDS, garble, garble_kind  # noqa: E402
from cleaners.mojibake import (  # noqa: E402
    codecs_ftfy_decoded,
    codecs_of_foreign_tokens,
    codecs_of_garbled_words,
    find_garbled_words,
    find_nbsp_sequences,
    find_residual_layers,
    find_spaced_spans,
    is_listed_word,
)
from cleaners.mojibake.codepages import MOJIBAKE_TRIGGER_RE  # noqa: E402

FTFY_CASES = json.loads(
    (Path(__file__).parents[1] / "data" / "ftfy_test_cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", FTFY_CASES, ids=[c["label"][:60] for c in FTFY_CASES])
def test_same_as_pinned_ftfy_on_ftfy_cases(case: dict) -> None:
    text = case["original"]
    theirs = ftfy.fix_text(text, FTFY_CONFIG)
    assert fix_mojibake(text, words=False) == theirs
    ours = fix_mojibake(text)
    if ours != theirs:  # only where ftfy declined a word or left a layer
        assert _ftfy_declined(text, theirs)


def _ftfy_declined(text: str, theirs: str) -> bool:
    """ftfy's output ``theirs`` holds a whole garbled word (decoding to a listed word),
    a layer of mojibake left behind, or a character whose NBSP byte became a space, in
    a line known to be garbled (by ftfy's decoding, a listed word or a token of another
    script that decodes to the line's): the repairs textwash adds to ftfy's."""
    for before, after in zip(text.split("\n"), theirs.split("\n"), strict=True):
        words = find_garbled_words(after)
        if words and all(is_listed_word(w) for _, _, w in words):
            return True
        decoded_from = codecs_ftfy_decoded(before) if before != after else frozenset()
        decoded_from |= codecs_of_garbled_words(after) | codecs_of_foreign_tokens(after)
        if find_residual_layers(after, decoded_from) or find_nbsp_sequences(after, decoded_from):
            return True
    return False


def _alphabet() -> str:
    chars = set(" \n.,;:!?'\"-()0123456789abcdefghijklmnopqrstuvwxyzABCXYZ")
    chars |= set("éèàçüößñãõâêîôûëïÿæœøåÉÀÇÜÖ")
    chars |= set("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯёЁіїє")
    chars |= set("αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔ") | set("東京日本語中文한국어")
    chars |= set("“”‘’«»—–…°·€©®™\xa0")
    for codec in GARBLE_ENCODINGS.values():  # every character mojibake is made of
        chars |= set(bytes(range(0x80, 0x100)).decode(codec))
    return "".join(sorted(chars))


WORDS = ["канал", "новости", "café", "naïve", "Zürich", "άνθρωπος", "東京", "don’t", "—", "«да»"]
garbled_words = st.builds(
    lambda w, enc, n: garble(w, enc, n),
    st.sampled_from(WORDS),
    st.sampled_from(list(GARBLE_ENCODINGS)),
    st.integers(0, 2),
)
texts = st.lists(
    st.one_of(st.text(alphabet=_alphabet(), max_size=12), garbled_words), max_size=12
).map(" ".join)


@settings(deadline=None)
@given(texts)
def test_same_as_pinned_ftfy_outside_the_added_repairs(text: str) -> None:
    """Equal to ftfy unless a split span, a whole garbled word or a layer ftfy left is
    found: the repairs textwash adds where ftfy declines."""
    expected = ftfy.fix_text(text, FTFY_CONFIG)
    lines = [line for t in (text, expected) for line in t.split("\n")]
    if not any(find_spaced_spans(line) for line in lines):
        assert fix_mojibake(text, words=False) == expected
        declined = any(find_garbled_words(line) for line in lines)
        if not declined and not _ftfy_declined(text, expected):
            assert fix_mojibake(text) == expected


@settings(deadline=None)
@given(texts)
def test_fast_path_never_skips_a_line_ftfy_would_change(text: str) -> None:
    for line in text.split("\n"):
        if not may_have_mojibake(line):
            assert ftfy.fix_text(line, FTFY_CONFIG) == line


@settings(deadline=None)
@given(texts)
def test_fast_trigger_finds_what_the_span_pattern_finds(text: str) -> None:
    # may_have_mojibake anchors on continuation bytes for speed; it must agree with
    # the pattern the repairs take their spans from, on every line.
    for line in text.split("\n"):
        assert may_have_mojibake(line) == (MOJIBAKE_TRIGGER_RE.search(line) is not None)


def test_fast_trigger_agrees_on_real_sentences() -> None:
    from bench.workloads.mojibake_samples import UD_PATH, ud_paragraphs

    if not UD_PATH.exists():
        pytest.skip(f"{UD_PATH} is absent (the devset sits beside the clone in CI)")
    paragraphs = [p for ps in ud_paragraphs("tune", per_language=60).values() for p in ps]
    rng = random.Random(7)
    for text in paragraphs:
        garbled = garble(text, rng.choice(["cp1252", "cp1251", "latin-1", "mac_roman"]))
        for line in (text, garbled):
            assert may_have_mojibake(line) == (MOJIBAKE_TRIGGER_RE.search(line) is not None)


# --- round trips on real multilingual text --------------------------------------

RU = [
    "Президент заявил, что переговоры продолжатся на следующей неделе.",
    "Подпишитесь на наш канал в Telegram и читайте новости первыми.",
    "«Мы готовы к диалогу», — сказал министр иностранных дел.",
    "Температура воздуха поднимется до 25 °C, осадков не ожидается.",
    "Україна отримала нову партію гуманітарної допомоги від партнерів.",
]
WESTERN = [
    "Le président a déclaré que les négociations reprendront lundi.",
    "Die Bürgerinnen und Bürger wählen am Sonntag ein neues Parlament.",
    "El gobierno anunció nuevas medidas económicas para el próximo año.",
    "A seleção brasileira venceu a partida por dois gols a zero.",
    "Crème brûlée, naïve façade and a café in Zürich — «très bien».",
]


def _samples(encoding: str) -> list[str]:
    from bench.workloads.mojibake_samples import word_sequences

    cyrillic = RU + word_sequences("ru", 40) + word_sequences("uk", 40)
    western = WESTERN + [w for lang in ("fr", "de", "es", "pt") for w in word_sequences(lang, 20)]
    # UTF-8 is read as cp1251 where Cyrillic is written, as MacRoman in the West.
    return {"cp1251": cyrillic, "mac_roman": western}.get(encoding, cyrillic + western)


UNDAMAGED = ("plain", "double")


@pytest.mark.parametrize("kind", UNDAMAGED)
@pytest.mark.parametrize("encoding", list(GARBLE_ENCODINGS))
def test_undamaged_kinds_round_trip(encoding: str, kind: str) -> None:
    samples = _samples(encoding)
    garbled = [garble_kind(t, encoding, kind) for t in samples]
    repaired = [fix_mojibake(g) for g in garbled]
    for g, r, t in zip(garbled, repaired, samples, strict=True):
        theirs = ftfy.fix_text(g, FTFY_CONFIG)
        if r != theirs:  # only where ftfy declined a word or left a layer, and then to the original
            assert _ftfy_declined(g, theirs), g
            assert r == t, g
    rate = sum(r == t for r, t in zip(repaired, samples, strict=True)) / len(samples)
    assert rate >= 0.99, f"{encoding}/{kind}: {rate:.3f}"


def test_a_single_garbled_word_ftfy_declines_is_repaired() -> None:
    # ftfy wants more evidence than one MacRoman-garbled letter; the word list has it.
    garbled = "Wir erkl√§ren es"
    assert ftfy.fix_text(garbled, FTFY_CONFIG) == garbled
    assert fix_mojibake_and_explain(garbled) == ("Wir erklären es", ["fix_garbled_words"])


@pytest.mark.parametrize(
    "text",
    [
        "Ã in a name, 25 °C, «quotes» and · dots",
        "The symbol √§ in a formula, and ¬ negation",
        "Finnish sä… trails off",  # both readings are words: left alone
        "Ð and Ñ as letters: Ðoàn, Ñandú",
    ],
)
def test_garbled_word_repair_needs_a_word(text: str) -> None:
    assert find_garbled_words(text) == []
    assert fix_mojibake(text) == ftfy.fix_text(text, FTFY_CONFIG)


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in UNDAMAGED])
@pytest.mark.parametrize("encoding", list(GARBLE_ENCODINGS))
def test_damaged_kinds_round_trip(encoding: str, kind: str) -> None:
    samples = _samples(encoding)
    repaired = [
        fix_mojibake(garble_kind(t, encoding, kind, seed=i)) == t for i, t in enumerate(samples)
    ]
    rate = sum(repaired) / len(repaired)
    assert rate >= 0.90, f"{encoding}/{kind}: {rate:.3f}"


@pytest.mark.parametrize(
    ("original", "times"),
    [
        # Once: "Подготовка" is a garbled word, so the line is known to be MacRoman and
        # the one-letter "–∫" (к) is decoded too. Twice: ftfy takes one layer.
        ("Подготовка к ЕГЭ по русскому языку", 1),
        ("Подготовка к ЕГЭ по русскому языку", 2),
        ("colega á china", 2),
        ("Bar Uchū, friends", 2),
        # Twice, where ftfy takes neither layer: two valid layers are the evidence.
        ("Plus, BÉIS is an expert", 2),
    ],
)
def test_a_layer_ftfy_leaves_is_repaired(original: str, times: int) -> None:
    garbled = garble(original, "mac_roman", times)
    assert ftfy.fix_text(garbled, FTFY_CONFIG) != original
    assert fix_mojibake(garbled) == original


def test_a_left_layer_needs_evidence_and_must_read_as_text() -> None:
    # Without evidence that the line is garbled, one reasonable-looking layer stays.
    assert fix_mojibake("The symbol √§ in a formula") == "The symbol √§ in a formula"
    # With it (a garbled word in the same line), tokens that read as text stay: "«é"
    # and "‘ß" are also valid UTF-8 read as MacRoman.
    text, fixes = fix_mojibake_and_explain("Wir erkl√§ren «électeurs» ‘ß’ –∫")
    assert text == "Wir erklären «électeurs» ‘ß’ к"
    assert fixes == ["fix_garbled_words", "fix_residual_layers"]


def test_a_word_two_code_pages_explain_is_left_alone() -> None:
    # ftfy's own "sort of negative" case: latin-1 gives Dråber, MacRoman Dr̴ber.
    assert fix_mojibake("Bremer/Mccoy – DrÃ¥ber") == "Bremer/Mccoy – DrÃ¥ber"


# --- real sentences (UD treebanks, ../shared/devset), garbled the ways pipelines do ----

from bench.workloads.mojibake_samples import (  # noqa: E402
    UD_PAIRINGS,
    UD_PATH,
    ambiguous_boundaries,
    repair_scores,
    ud_paragraphs,
)

needs_ud = pytest.mark.skipif(
    not UD_PATH.exists(), reason=f"the UD sentences are not at {UD_PATH} (../shared/devset)"
)


@pytest.fixture(scope="module")
def ud_sample() -> dict[str, list[str]]:
    return ud_paragraphs("held", per_language=12)


@needs_ud
def test_clean_sentences_of_every_language_are_unchanged(ud_sample: dict) -> None:
    changed = [t for texts in ud_sample.values() for t in texts if fix_mojibake(t) != t]
    assert len(ud_sample) == 18
    assert changed == []


@needs_ud
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("encoding", list(UD_PAIRINGS))
def test_real_sentences_get_their_bytes_back(ud_sample: dict, encoding: str, kind: str) -> None:
    """Every garbled character repaired (white space aside), on the held-out half."""
    wrong = []
    for lang in UD_PAIRINGS[encoding]:
        for i, text in enumerate(ud_sample.get(lang, [])):
            repaired = fix_mojibake(garble_kind(text, encoding, kind, seed=i))
            if "".join(repaired.split()) != "".join(text.split()):
                wrong.append((lang, text[:60]))
    total = sum(len(ud_sample.get(lang, [])) for lang in UD_PAIRINGS[encoding])
    assert len(wrong) <= 0.02 * total, wrong[:5]


@needs_ud
def test_spaces_a_typographic_pass_moved_come_back(ud_sample: dict) -> None:
    right = total = 0
    for lang in ("ru", "uk", "bg", "el"):
        for i, text in enumerate(ud_sample[lang]):
            garbled = garble_kind(text, "cp1251" if lang != "el" else "cp1252", "typographic", i)
            amb = ambiguous_boundaries(text, "cp1251" if lang != "el" else "cp1252")
            _, ok, _ = repair_scores(text, fix_mojibake(garbled), amb)
            right, total = right + ok, total + len(amb)
    assert right >= 0.9 * total, right / total


@pytest.mark.parametrize(
    "text",
    [
        "Весной завод снова заработал -- впервые за два года -- и выпустил триста машин.",
        "Длина реки около 40 км, площадь бассейна 133 км2, а ширина устья 8 метров.",
    ],
    ids=["dash", "number"],
)
def test_a_dash_and_a_number_keep_their_spaces(text: str) -> None:
    """After "а" ("Р°" in windows-1251) a typographic pass leaves the space in doubt:
    a doubled hyphen is a dash, spaced like one (not a hyphen, "из-за"), and a word
    is not glued to the number after it."""
    garbled = garble_kind(text, "cp1251", "typographic")
    assert garbled != text
    assert fix_mojibake(garbled) == text


def test_a_space_after_a_sequence_that_ends_in_a_mark_is_in_doubt() -> None:
    """In windows-1252 "ī" is "Ä«": a typographic pass puts its space after "«", outside
    the sequence, so nothing is split; the space is still not the writer's."""
    text = "Viņš no rīta devās uz skolu un pēcpusdienā atgriezās mājās."
    garbled = garble_kind(text, "cp1252", "typographic")
    assert "Ä« " in garbled
    assert fix_mojibake(garbled) == text


def test_spaced_repair_keeps_the_lines_own_spaces_between_words() -> None:
    # Two spaces stay two: the later NBSP repair ("Г" + a space for "à") needs them.
    assert fix_mojibake("  our РєР ° РЅР ° Р »РІ  Telegram ") == "  our канал в  Telegram "


@pytest.mark.parametrize(
    ("text", "encoding", "kind"),
    [
        ("बच्चे सुबह स्कूल गए और दोपहर के बाद घर लौट आए।", "cp1252", "typographic"),
        ("הילדים הלכו לבית הספר בבוקר וחזרו הביתה אחרי הצהריים.", "cp1251", "plain"),
        (
            "ذهب الأطفال إلى المدرسة، ثم عادوا إلى البيت بعد الظهر.",
            "cp1252",
            "double_typographic",
        ),
    ],
    ids=["hindi", "hebrew", "arabic"],
)
def test_scripts_with_word_lists_beyond_latin_cyrillic_greek(
    text: str, encoding: str, kind: str
) -> None:
    """wordfreq lists Arabic, Persian, Urdu, Hebrew, Hindi and Bengali words too: the
    spaces a typographic pass moved, and words ftfy declines, are decided by them."""
    garbled = garble_kind(text, encoding, kind)
    assert garbled != text
    assert fix_mojibake(garbled) == text
    assert fix_mojibake(text) == text


def test_nbsp_ending_sequences_in_a_garbled_line() -> None:
    # "à" is C3 A0: "Г" and an NBSP in windows-1251; the NBSP often becomes a space.
    text = "Il est allé à Paris et a déjà vu la tour."
    garbled = garble(text, "cp1251")
    assert "Г\xa0" in garbled
    assert fix_mojibake(garbled) == text
    assert fix_mojibake(garbled.replace("\xa0", " ")) == text


def test_a_lone_a_grave_whose_nbsp_became_a_space() -> None:
    """The only garbled character of the line: "Г", then the space its NBSP became and
    the writer's own. A lone Cyrillic capital before two spaces in a French line is
    the proof; one space is not, nor a Russian line."""
    text = "Nous irons à la plage demain matin."
    garbled = garble(text, "cp1251").replace("\xa0", " ")
    assert garbled == "Nous irons Г  la plage demain matin."
    assert fix_mojibake(garbled) == text
    assert fix_mojibake("Nous irons Г la plage.") == "Nous irons Г la plage."
    assert fix_mojibake("Москва Г  город") == "Москва Г  город"


# --- hand-written cases: clean lines that must stay, garbled ones that must be fixed --

MOJIBAKE_CASES = json.loads(
    (Path(__file__).parent.parent / "data" / "mojibake_cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("clean", MOJIBAKE_CASES["keep"])
def test_suspicious_clean_lines_stay(clean: str) -> None:
    assert fix_mojibake(clean) == clean


@pytest.mark.parametrize("case", MOJIBAKE_CASES["fix"], ids=lambda c: c["clean"][:30])
def test_words_garbled_alone_are_repaired_without_a_word_list(case: dict[str, str]) -> None:
    assert garble(case["clean"], case["code_page"]) == case["garbled"]
    assert fix_mojibake(case["garbled"]) == case["clean"]


def test_a_run_kept_as_it_was_does_not_break_the_language_guess() -> None:
    # hypothesis found it: a piece that does not decode stays a run of characters
    # ("ÂŒ"), which the script lookup took for one character (TypeError)
    assert fix_mojibake("Â \x80ÂŒ") == fix_mojibake("Â \x80ÂŒ")
