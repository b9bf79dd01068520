"""The one frozen configuration of a cleaning run.

Field names are the names of the steps they switch. Defaults are what a reader of
news text wants; where a default differs from the engine's own, a comment says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any


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
    drop_captions: bool = False  # captions are content to some readers; opt in
    # A line seen in at least this many documents of one source is boilerplate.
    repeated_line_min_docs: int = 3
    # Lines with fewer words are never judged by repetition alone (see boilerplate).
    repeated_line_min_words: int = 4
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
    # --- limits ---
    max_document_chars: int = 5_000_000

    def __post_init__(self) -> None:
        if self.normalize_quotes not in ("ascii", "keep"):
            raise ValueError(
                f"normalize_quotes must be 'ascii' or 'keep', not {self.normalize_quotes!r}"
            )
        if self.repeated_line_min_docs < 2:
            raise ValueError("repeated_line_min_docs must be at least 2")

    def replace(self, **changes: Any) -> CleanConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleanConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        data = dict(data)
        rules = data.get("source_rules")
        if rules is not None:  # a TOML table {source: [lines]} or JSON pairs
            pairs = rules.items() if isinstance(rules, dict) else rules
            data["source_rules"] = tuple(sorted((str(k), tuple(v)) for k, v in pairs))
        return cls(**data)

    def fingerprint(self) -> str:
        """A short hash of every setting that changes output (for the manifest)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
