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
