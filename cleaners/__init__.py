"""textwash cleaners: pure text logic (no I/O, no orchestration).

The public API other teams call; names and shapes here are stable.
"""

from .boilerplate import CATEGORIES
from .config import CleanConfig
from .core import (
    CleanResult,
    LineStats,
    Removal,
    clean_document,
    clean_html,
    clean_htmls,
    clean_text,
    clean_texts,
)
from .decode import decode_bytes
from .extract import ExtractionError
from .mojibake import fix_mojibake
from .normalize import normalize_quotes

__all__ = [
    "CATEGORIES",
    "CleanConfig",
    "CleanResult",
    "ExtractionError",
    "LineStats",
    "Removal",
    "clean_document",
    "clean_html",
    "clean_htmls",
    "clean_text",
    "clean_texts",
    "decode_bytes",
    "fix_mojibake",
    "normalize_quotes",
]
