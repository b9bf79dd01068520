"""A finished shard's marker: one typed record, written and read by data/dataset.py only.

A shard is done when its marker says it was cleaned from the same inputs (``key``)
by the same ``Recipe``: every option that changes a shard's output (the clean config,
the read options, the dedup mode) and a fingerprint of what the code does to it (the
package version, the rule table, the line model's files, the word data). Change any
of them and the shard is cleaned again: a version that keeps its number through
changes of rules, model or word data still never mixes their outputs in one dataset.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .. import __version__
from ..options import RunOptions


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


@functools.cache
def rules_fingerprint() -> str:
    """The rule table as the code builds it: each rule's name, category and condition
    (its patterns included), then the rules decided after it."""
    from cleaners.boilerplate import LATER_RULES, rule_table

    rows = [f"{r.name}\t{r.category}\t{r.when}" for r in rule_table()]
    return _digest(*rows, json.dumps(LATER_RULES, sort_keys=True))


@functools.cache
def model_fingerprint() -> str:
    """The line model's files, byte for byte ("none" when the package has none)."""
    from cleaners.models import META_FILE, MODEL_FILE

    data = resources.files("cleaners")
    try:
        files = [data.joinpath(name).read_bytes() for name in (MODEL_FILE, META_FILE)]
    except FileNotFoundError:
        return "none"
    return _digest(*files)


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


@functools.cache
def words_fingerprint() -> str:
    """The word data the repairs read: which wordfreq lists per script (and wordfreq's
    version, with the name and size of each of its list files), the spacing figures
    (``boundaries.json``), and the versions of ftfy and the extractor, whose output
    the repairs start from."""
    from cleaners.mojibake.words import WORD_LANGUAGES

    spec = importlib.util.find_spec("wordfreq")
    lists: list[str] = []
    if spec is not None and spec.submodule_search_locations:
        folder = Path(spec.submodule_search_locations[0]) / "data"
        lists = sorted(f"{p.name}:{p.stat().st_size}" for p in folder.glob("*.msgpack.gz"))
    boundaries = resources.files("cleaners").joinpath("data", "boundaries.json").read_bytes()
    return _digest(
        json.dumps(WORD_LANGUAGES, sort_keys=True),
        *(f"{name}={_installed(name)}" for name in ("wordfreq", "ftfy", "trafilatura")),
        *lists,
        boundaries,
    )


@dataclass(frozen=True)
class Recipe:
    """Everything a shard's output depends on besides its inputs."""

    config: str  # CleanConfig.fingerprint()
    read: str  # the read options' fingerprint
    dedup: str  # off | exact | near
    textwash_version: str
    rules: str
    model: str
    words: str

    @classmethod
    def of(cls, options: RunOptions) -> Recipe:
        read = json.dumps(dataclasses.asdict(options.read), sort_keys=True)
        return cls(
            config=options.config.fingerprint(),
            read=_digest(read),
            dedup=options.dedup,
            textwash_version=__version__,
            rules=rules_fingerprint(),
            model=model_fingerprint(),
            words=words_fingerprint(),
        )


@dataclass(frozen=True)
class ShardMarker:
    """What a finished shard records: what it was made from, and what it holds."""

    index: int
    key: str  # the shard's inputs: paths, fingerprints, pieces (Shard.key)
    recipe: Recipe
    inputs: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)  # tables the shard has rows in
    tag: str = ""  # in its parts' names, new each time it is cleaned ("": an older marker)
    bytes: int = 0
    worker: str = ""
    started: str = ""
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step (a profile)
    repaired_by_counting: int = 0

    def made_like(self, key: str, recipe: Recipe) -> bool:
        """Would cleaning the shard ``key`` with ``recipe`` write what this one holds?"""
        return self.key == key and self.recipe == recipe

    def to_dict(self) -> dict[str, Any]:
        """Plain values: the marker file, the manifest's ``shards``."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardMarker | None:
        """A marker as written; None for one this version cannot read (an older
        layout): its shard is cleaned again."""
        try:
            recipe = Recipe(**data["recipe"])
            names = {f.name for f in dataclasses.fields(cls)} - {"recipe"}
            return cls(recipe=recipe, **{k: v for k, v in data.items() if k in names})
        except (KeyError, TypeError):
            return None
