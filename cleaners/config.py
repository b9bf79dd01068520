"""The one frozen configuration of a cleaning run.

Field names are the names of the steps they switch. Defaults are what a reader of
news text wants; where a default differs from the engine's own, a comment says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A setting with a wrong name, type or value; the message names it."""


_SCALARS = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}


def _type_ok(value: Any, expected: Any) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def check_types(obj: Any) -> None:
    """Raise ConfigError for a field of a dataclass whose value is not of its scalar
    type (``text_field = 5`` in a TOML file); optional fields may be None.

    >>> @dataclass(frozen=True)
    ... class Opt:
    ...     name: str = "text"
    >>> check_types(Opt(name=5))
    Traceback (most recent call last):
    ...
    cleaners.config.ConfigError: name must be a string, not int (5)
    """
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value, hint = getattr(obj, f.name), hints[f.name]
        args = typing.get_args(hint)
        optional = type(None) in args
        scalar = next((a for a in (hint, *args) if a in _SCALARS), None)
        if scalar is None or (optional and value is None):
            continue
        if not _type_ok(value, scalar):
            raise ConfigError(
                f"{f.name} must be {_SCALARS[scalar]}, not {type(value).__name__} ({value!r})"
            )


@dataclass(frozen=True)
class CleanConfig:
    # --- repair ---
    fix_mojibake: bool = True
    # Also repair a single garbled word ftfy declines, when the decoded word is listed
    # in wordfreq and the garbled one is not ("pi√π" -> "più"), and the layer ftfy
    # leaves in doubly garbled text ("–∫" -> "к"). Off: ftfy's output.
    fix_garbled_words: bool = True
    fix_html_entities: bool = True
    remove_control_chars: bool = True
    # --- normalize ---
    normalize_quotes: str = "ascii"  # "ascii" | "keep"
    normalize_whitespace: bool = True
    normalize_unicode: bool = True  # NFC
    # --- structure ---
    detect_title: bool = True
    title_max_words: int = 30
    # --- boilerplate ---
    strip_boilerplate: bool = True
    # The learned line classifier (cleaners/data/line_model.json) after the rules.
    use_line_model: bool = True
    # A line seen in at least this many documents of one source is boilerplate.
    repeated_line_min_docs: int = 3
    # Lines with fewer words are never judged by repetition alone (see boilerplate).
    repeated_line_min_words: int = 4
    # A document that would lose this share of its characters or more to repetition
    # keeps those lines: it is a copy of an article (or the counts are), not boilerplate.
    repeated_line_max_share: float = 0.8
    # Documents this similar (Jaccard of word 3-shingles, estimated by MinHash) are one
    # article for the line counts and for --dedup near.
    near_duplicate_jaccard: float = 0.8
    # Extra lines a source is known to repeat, per source key: {"example.com": ("…",)}.
    source_rules: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # --- HTML ---
    # trafilatura's deduplicate keeps a per-process cache: output would depend on what
    # the process saw before, so it stays off.
    html_deduplicate: bool = False
    html_favor_precision: bool = False
    html_favor_recall: bool = False
    html_include_tables: bool = True
    html_timeout_s: float = 30.0
    # The line model's threshold on text trafilatura took from HTML. trafilatura saw
    # the markup and has already dropped the chrome; what the model removes after it is
    # mostly list items, table rows and code the article holds. Devset pages, grouped
    # by site: F1 the same from 0.1 to 0.5 (0.932-0.933, trafilatura's text alone
    # 0.931); recall rises as it falls (0.945 at 0.5, 0.9485 at 0.3).
    html_line_threshold: float = 0.3
    # A page whose main text has no line of this many words is navigation, not an
    # article: rejected as no_main_text.
    html_min_line_words: int = 4

    def __post_init__(self) -> None:
        check_types(self)
        if self.normalize_quotes not in ("ascii", "keep"):
            raise ConfigError(
                f"normalize_quotes must be 'ascii' or 'keep', not {self.normalize_quotes!r}"
            )
        if self.repeated_line_min_docs < 2:
            raise ConfigError("repeated_line_min_docs must be at least 2")
        if not 0 <= self.html_line_threshold <= 1:
            raise ConfigError(
                f"html_line_threshold must be in [0, 1], not {self.html_line_threshold!r}"
            )
        for name in ("repeated_line_max_share", "near_duplicate_jaccard"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be in (0, 1], not {getattr(self, name)!r}")
        for name in ("title_max_words", "repeated_line_min_words", "html_min_line_words"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.html_timeout_s < 0:
            raise ConfigError("html_timeout_s must not be negative (0: no limit)")

    def replace(self, **changes: Any) -> CleanConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleanConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown [clean] keys: {', '.join(unknown)}")
        data = dict(data)
        rules = data.get("source_rules")
        if rules is not None:  # a TOML table {source: [lines]} or JSON pairs
            try:
                pairs = rules.items() if isinstance(rules, dict) else rules
                data["source_rules"] = tuple(sorted((str(k), tuple(_strings(v))) for k, v in pairs))
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    f"source_rules must map a source to a list of lines: {exc}"
                ) from None
        return cls(**data)

    def fingerprint(self) -> str:
        """A short hash of every setting that changes output (for the manifest)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _strings(values: Any) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"not a list of strings: {values!r}")
    return list(values)
