"""A small learned line classifier: shallow text features (Kohlschütter et al. 2010,
jusText) of a line and its neighbours, scored by gradient-boosted trees.

The features are measured here; the trees are a JSON file in ``cleaners/data``
trained by ``bench/train_line_model.py`` on the devset (labels from aligning each
scraped line to the page's true text). Inference is pure Python.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from typing import Any

# Frequent function words of the devset's languages: their density tells prose from
# menus (jusText's stopword density). Lowercased; compared to whole tokens.
STOPWORDS = frozenset(
    """a about after all also an and any are as at be because been but by can could did
    do does for from had has have he her his how i if in into is it its just more most
    my no not of on one only or other our out over said she so some such than that the
    their them then there these they this to up was we were what when which who will
    with would you your le la les de des du un une et est en que qui dans pour pas sur
    au aux il elle ne se ce sont par plus der die das und ist nicht ein eine zu den mit
    von sich des auf für im dem auch es el los las del y en que un una por con para es
    se lo como más o e do da dos das um uma não com na no os il di che è per non una
    и в не на что с по как это он она но из за к у от то же так""".split()  # noqa: SIM905
)

_WORD_RE = re.compile(r"\w+(?:['’-]\w+)*")
_LINKISH_RE = re.compile(r"https?://|www\.|\.(?:com|org|net|html?)\b|@\w|[|»›>]|\s/\s", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-•*·▪►]|\d{1,3}[.)])\s")
_TERMINAL = ".!?…\"'”»)"

FEATURES = (
    "log_words",
    "log_chars",
    "ends_sentence",
    "title_case",
    "stopwords",
    "digits",
    "punct",
    "linkish",
    "all_caps",
    "bullet",
    "position",
    "near_start",
    "near_end",
    "prev_log_words",
    "next_log_words",
    "prev_ends",
    "next_ends",
    "window_max_words",
    "window_stopwords",
    "short_run",
    "dup_in_doc",
    "rule_hit",
    "prev_rule_hit",
    "next_rule_hit",
    "mean_word_len",
    "has_colon_end",
    "doc_prose_share",
    "doc_log_lines",
    "words_before_share",
    "in_prose_span",
    "prose_distance",
    "prose_before_share",
    "window_prose_share",
)


def _line_stats(line: str) -> dict[str, float]:
    words = _WORD_RE.findall(line)
    n = len(words)
    stripped = line.strip()
    n_chars = len(stripped)
    letters = sum(map(str.isalpha, stripped))
    return {
        "n_words": n,
        "log_words": math.log1p(n),
        "log_chars": math.log1p(n_chars),
        "ends_sentence": float(bool(stripped) and stripped[-1] in _TERMINAL),
        "title_case": sum(w[0].isupper() for w in words) / n if n else 0.0,
        "stopwords": sum(w.lower() in STOPWORDS for w in words) / n if n else 0.0,
        "digits": sum(map(str.isdigit, stripped)) / n_chars if n_chars else 0.0,
        "punct": (n_chars - letters - stripped.count(" ")) / n_chars if n_chars else 0.0,
        "linkish": float(len(_LINKISH_RE.findall(line))),
        "all_caps": float(letters > 3 and stripped.upper() == stripped),
        "bullet": float(bool(_BULLET_RE.match(line))),
        "mean_word_len": sum(map(len, words)) / n if n else 0.0,
        "has_colon_end": float(stripped.endswith(":")),
    }


def line_features(lines: Sequence[str], rule_hits: Sequence[bool]) -> list[list[float]]:
    """One feature vector (in FEATURES order) per line; blank lines are skipped by the
    neighbour features and get a vector like any other (callers ignore them)."""
    idx = [i for i, line in enumerate(lines) if line.strip()]
    stats = {i: _line_stats(lines[i]) for i in idx}
    keys = Counter(lines[i].strip().lower() for i in idx)
    n = len(idx)
    out: list[list[float]] = [[0.0] * len(FEATURES) for _ in lines]
    # runs of short lines (menus): length of the run each line belongs to
    run_len = {}
    j = 0
    while j < n:
        k = j
        while k < n and stats[idx[k]]["n_words"] <= 3:
            k += 1
        for m in range(j, max(k, j + 1)):
            run_len[idx[m]] = k - j
        j = max(k, j + 1)
    # The document as a whole: mostly prose (already extracted) or mostly chrome?
    prose = [stats[i]["n_words"] >= 10 and stats[i]["ends_sentence"] for i in idx]
    doc_prose_share = sum(prose) / n if n else 0.0
    total_words = sum(stats[i]["n_words"] for i in idx) or 1
    # Where the article body is: the span from the first to the last prose line, how
    # far each line is from prose, and how much of the prose lies before it.
    prose_at = [pos for pos in range(n) if prose[pos]]
    first_prose, last_prose = (prose_at[0], prose_at[-1]) if prose_at else (n, -1)
    distance = _distances(prose)
    prose_words = [stats[idx[pos]]["n_words"] if prose[pos] else 0 for pos in range(n)]
    total_prose_words = sum(prose_words) or 1
    prose_prefix = [0] * (n + 1)
    for pos in range(n):
        prose_prefix[pos + 1] = prose_prefix[pos] + prose[pos]
    words_before = 0
    prose_before = 0
    for pos, i in enumerate(idx):
        s = stats[i]
        prev_i = idx[pos - 1] if pos > 0 else None
        next_i = idx[pos + 1] if pos + 1 < n else None
        window = [stats[idx[p]] for p in range(max(0, pos - 2), min(n, pos + 3))]
        feats = {
            **s,
            "position": pos / max(1, n - 1),
            "near_start": float(pos < 0.1 * n),
            "near_end": float(pos > 0.8 * n),
            "prev_log_words": stats[prev_i]["log_words"] if prev_i is not None else 0.0,
            "next_log_words": stats[next_i]["log_words"] if next_i is not None else 0.0,
            "prev_ends": stats[prev_i]["ends_sentence"] if prev_i is not None else 0.0,
            "next_ends": stats[next_i]["ends_sentence"] if next_i is not None else 0.0,
            "window_max_words": max(w["log_words"] for w in window),
            "window_stopwords": sum(w["stopwords"] for w in window) / len(window),
            "short_run": math.log1p(run_len.get(i, 0)),
            "dup_in_doc": float(keys[lines[i].strip().lower()] > 1),
            "rule_hit": float(rule_hits[i]),
            "prev_rule_hit": float(rule_hits[prev_i]) if prev_i is not None else 0.0,
            "next_rule_hit": float(rule_hits[next_i]) if next_i is not None else 0.0,
            "doc_prose_share": doc_prose_share,
            "doc_log_lines": math.log1p(n),
            "words_before_share": words_before / total_words,
            "in_prose_span": float(first_prose <= pos <= last_prose),
            "prose_distance": math.log1p(distance[pos]),
            "prose_before_share": prose_before / total_prose_words,
            "window_prose_share": (prose_prefix[min(n, pos + 6)] - prose_prefix[max(0, pos - 5)])
            / (min(n, pos + 6) - max(0, pos - 5)),
        }
        words_before += s["n_words"]
        prose_before += prose_words[pos]
        out[i] = [float(feats[f]) for f in FEATURES]
    return out


def _distances(marked: Sequence[bool]) -> list[int]:
    """For each position, how many lines away the nearest marked one is (the number
    of lines if none is).

    >>> _distances([False, True, False, False]), _distances([False, False])
    ([1, 0, 1, 2], [2, 2])
    """
    n = len(marked)
    dist = [n] * n
    last = None
    for pos in range(n):
        if marked[pos]:
            last = pos
        if last is not None:
            dist[pos] = pos - last
    last = None
    for pos in range(n - 1, -1, -1):
        if marked[pos]:
            last = pos
        if last is not None:
            dist[pos] = min(dist[pos], last - pos)
    return dist


# Stage two sees what stage one thought of the lines around (stacking, as in
# sequence labelling): content comes in runs, and so does chrome. Probabilities are
# over the non-blank lines in order; a line the rules removed counts as 0.
CONTEXT_FEATURES = ("p_self", "p_prev", "p_next", "p_near", "p_wide", "p_doc")
NEAR, WIDE = 2, 8


def context_features(probs: Sequence[float]) -> list[list[float]]:
    """Stage-one probabilities of each line, its neighbours, and the means around it.

    >>> context_features([1.0, 0.0, 1.0])[1]
    [0.0, 1.0, 1.0, 1.0, 1.0, 0.6666666666666666]
    """
    n = len(probs)
    prefix = [0.0] * (n + 1)
    for pos, p in enumerate(probs):
        prefix[pos + 1] = prefix[pos] + p

    def around(pos: int, k: int) -> float:
        lo, hi = max(0, pos - k), min(n, pos + k + 1)
        others = hi - lo - 1
        return (prefix[hi] - prefix[lo] - probs[pos]) / others if others else 0.0

    doc = prefix[n] / n if n else 0.0
    return [
        [
            probs[pos],
            probs[pos - 1] if pos > 0 else 0.0,
            probs[pos + 1] if pos + 1 < n else 0.0,
            around(pos, NEAR),
            around(pos, WIDE),
            doc,
        ]
        for pos in range(n)
    ]


class Trees:
    """Gradient-boosted regression trees with a logistic link, from a JSON dict:
    ``{"init": f0, "rate": lr, "trees": [[feature, threshold, left, right, value], ...]}``
    (a leaf has feature -1)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.init = float(data["init"])
        self.rate = float(data["rate"])
        self.trees = [[tuple(node) for node in tree] for tree in data["trees"]]
        self._raw = self._compile()

    def _compile(self):  # type: ignore[no-untyped-def]
        """The trees as one generated Python function of nested ifs: ~10x faster than
        walking node lists. Only numbers from the model file go into the source."""
        lines = ["def raw(x):", f"    t = {float(self.init)!r}"]

        def emit(tree: list[tuple], i: int, depth: int) -> None:
            feature, threshold, left, right, value = tree[i]
            pad = "    " * depth
            if int(feature) < 0:
                lines.append(f"{pad}t += {float(self.rate * value)!r}")
                return
            lines.append(f"{pad}if x[{int(feature)}] <= {float(threshold)!r}:")
            emit(tree, int(left), depth + 1)
            lines.append(f"{pad}else:")
            emit(tree, int(right), depth + 1)

        for tree in self.trees:
            emit(tree, 0, 1)
        lines.append("    return t")
        namespace: dict[str, Any] = {}
        exec(compile("\n".join(lines), "<line_model>", "exec"), namespace)
        return namespace["raw"]

    def score(self, x: Sequence[float]) -> float:
        """Probability that the line is content."""
        return 1.0 / (1.0 + math.exp(-self._raw(x)))

    def score_by_walking(self, x: Sequence[float]) -> float:
        """The same probability by walking the node lists (the reference)."""
        total = self.init
        for tree in self.trees:
            node = tree[0]
            while node[0] >= 0:
                node = tree[node[2] if x[node[0]] <= node[1] else node[3]]
            total += self.rate * node[4]
        return 1.0 / (1.0 + math.exp(-total))


class TreeModel:
    """The line classifier: stage one on FEATURES; stage two, when the file has one, on
    FEATURES + CONTEXT_FEATURES. ``threshold`` applies to the last stage."""

    def __init__(self, data: dict[str, Any]) -> None:
        if tuple(data["features"]) != FEATURES:
            raise ValueError("line model was trained on other features; retrain it")
        self.threshold = float(data["threshold"])
        self.stage1 = Trees(data)
        stage2 = data.get("stage2")
        if stage2 is not None and tuple(stage2["features"]) != FEATURES + CONTEXT_FEATURES:
            raise ValueError("line model stage two was trained on other features; retrain it")
        self.stage2 = Trees(stage2) if stage2 is not None else None
        # Stage two may overturn only stage one's uncertain verdicts: a line stage one
        # scores at least this high stays content.
        self.stage1_keep = float(stage2.get("stage1_keep", 1.0)) if stage2 is not None else 1.0

    def content_probs(
        self, feats: Sequence[Sequence[float]], scored: Sequence[bool]
    ) -> list[float]:
        """Probability of content for each non-blank line in order (``feats``); lines
        not ``scored`` (removed by the rules) get 0."""
        probs = [self.stage1.score(x) if ok else 0.0 for x, ok in zip(feats, scored, strict=True)]
        if self.stage2 is None:
            return probs
        ctx = context_features(probs)
        return [
            (p if p >= self.stage1_keep else self.stage2.score([*x, *c])) if ok else 0.0
            for x, c, p, ok in zip(feats, ctx, probs, scored, strict=True)
        ]


@functools.lru_cache(maxsize=1)
def default_model() -> TreeModel | None:
    """The shipped model, or None when the package has none (rules alone then)."""
    try:
        text = resources.files("cleaners").joinpath("data/line_model.json").read_text("utf-8")
    except FileNotFoundError:
        return None
    return TreeModel(json.loads(text))
