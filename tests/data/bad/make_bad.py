"""The bad-input corpus: what a scraper can hand textwash, and what must become of it.

``python tests/data/bad/make_bad.py`` rewrites the small files committed in
``tests/data/bad/files/``. ``build(dest)`` lays out the whole corpus in ``dest``: the
small files plus what is too large to commit or cannot live in git (50 MB lines,
gzip bombs, a page nested 100,000 deep, link loops, a FIFO, an unreadable file,
names that are not UTF-8).

``expected(dest)`` says, per input file, how many clean documents and which reject
errors it must give. It is worked out here from how each file was made, not by
running textwash.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

# What the run is configured with (see tests/flows/test_bad_input.py).
HTML_TIMEOUT_S = 2.0
DOC_LIMIT = 50_000_000  # the default max_document_bytes

RU = (
    "Заголовок новости\n"
    "В Москве прошла выставка современного искусства. Её посетили тысячи людей.\n"
)
FR = "Titre de l'article\nLe café était fermé à Noël, mais la crêperie était ouverte.\n"
EN = "A headline for the story\nThe council met on Tuesday and approved the new budget for parks.\n"


def _jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def small_files() -> dict[str, tuple[bytes, tuple[int, dict[str, int]]]]:
    """name -> (bytes, (documents, {reject error: count}))."""
    rng = random.Random(20261122)
    good = {"text": EN, "url": "https://news.example/a"}
    truncated_lines = _jsonl(*({"text": f"{EN}Item {rng.random()}."} for i in range(200)))
    whole_gz = gzip.compress(truncated_lines, mtime=0)
    truncated_gz = whole_gz[: len(whole_gz) * 7 // 10]
    # Lines a correct streaming reader can recover before the stream breaks.
    recovered = zlib.decompressobj(31).decompress(truncated_gz).count(b"\n")
    parquet_ok = _parquet(pa.table({"text": [EN, FR, RU]}))
    files: dict[str, tuple[bytes, tuple[int, dict[str, int]]]] = {
        "png_named_txt.txt": (
            b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(3000)),
            (0, {"binary": 1}),
        ),
        "random_bytes.txt": (bytes(rng.randrange(256) for _ in range(5000)), (0, {"binary": 1})),
        "program.exe": (b"MZ\x90\x00" + bytes(200), (0, {"unsupported_format": 1})),
        "cp1251.txt": (RU.encode("cp1251"), (1, {})),
        "latin1.txt": (FR.encode("latin-1"), (1, {})),
        "utf16le_bom.txt": (EN.encode("utf-16"), (1, {})),
        "utf16be_bom.txt": (b"\xfe\xff" + RU.encode("utf-16-be"), (1, {})),
        "utf16le_nobom.txt": (FR.encode("utf-16-le"), (1, {})),
        "utf16be_nobom.txt": (EN.encode("utf-16-be"), (1, {})),
        "utf8_bom.txt": (b"\xef\xbb\xbf" + RU.encode(), (1, {})),
        "empty.txt": (b"", (0, {"empty": 1})),
        "whitespace_only.txt": (b" \n\t\r\n   \n", (0, {"empty": 1})),
        "nul_bytes.txt": (EN.encode().replace(b" ", b"\x00"), (0, {"binary": 1})),
        "control_bytes.txt": (
            EN.encode().replace(b"council", b"coun\x07cil\x1b").replace(b"parks", b"pa\x08rks"),
            (1, {}),
        ),
        "lone_surrogates.jsonl": (
            b'{"text": "A title\\nBroken \\ud800 pair and \\udfff here, in a sentence."}\n'
            b'{"text": "Fine text in a sentence.", "id": "\\udc80", "url": "https://x.example/\\ud83d"}\n',
            (2, {}),
        ),
        "truncated.jsonl.gz": (truncated_gz, (recovered, {"bad_gzip": 1})),
        "truncated.txt.gz": (gzip.compress(EN.encode() * 50, mtime=0)[:40], (0, {"bad_gzip": 1})),
        "not_gzip.txt.gz": (EN.encode(), (0, {"bad_gzip": 1})),
        "malformed_lines.jsonl": (
            _jsonl(good)
            + b'{"text": "unterminated\n'
            + b"{not json at all}\n"
            + _jsonl(good)
            + b"\n"  # a blank line is not an input
            + b'{"text": "trailing comma",}\n'
            + _jsonl(good),
            (3, {"bad_json": 3}),
        ),
        "no_text_field.jsonl": (
            _jsonl({"title": "t", "body": EN}, {"content": EN}, {}),
            (0, {"missing_field": 3}),
        ),
        "wrong_types.jsonl": (
            _jsonl({"text": 42}, {"text": [EN]}, {"text": {"en": EN}}, {"text": True}, good),
            (1, {"wrong_type": 4}),
        ),
        "null_and_empty.jsonl": (
            _jsonl({"text": None}, {"text": ""}, {"text": "   "}, good),
            (1, {"missing_field": 1, "empty": 2}),
        ),
        "not_objects.jsonl": (
            b'[1, 2]\n"a string"\n42\nnull\n' + _jsonl(good),
            (1, {"bad_json": 4}),
        ),
        "invalid_utf8.jsonl": (
            _jsonl(good) + b'{"text": "caf\xe9 \xff\xfe bytes"}\n' + _jsonl(good),
            (2, {"bad_json": 1}),
        ),
        "crlf.jsonl": (_jsonl(good, good).replace(b"\n", b"\r\n"), (2, {})),
        "no_column.parquet": (
            _parquet(pa.table({"body": [EN, FR]})),
            (0, {"missing_column": 1}),
        ),
        "wrong_type.parquet": (
            _parquet(pa.table({"text": pa.array([1, 2, 3], pa.int64())})),
            (0, {"wrong_type": 3}),
        ),
        "null_rows.parquet": (
            _parquet(pa.table({"text": [EN, None, FR, None]})),
            (2, {"missing_field": 2}),
        ),
        "corrupt.parquet": (
            b"PAR1" + bytes(rng.randrange(256) for _ in range(500)) + b"PAR1",
            (0, {"bad_parquet": 1}),
        ),
        "truncated.parquet": (parquet_ok[: len(parquet_ok) // 2], (0, {"bad_parquet": 1})),
        "no_body.html": (
            b"<html><head><title>Only a head</title></head></html>",
            (0, {"no_main_text": 1}),
        ),
        "only_script.html": (
            b"<html><body><script>var a = 1;</script><style>p{}</style></body></html>",
            (0, {"no_main_text": 1}),
        ),
        "tags_only.html": (b"<div><span></span><p></p></div>" * 50, (0, {"no_main_text": 1})),
        "name with spaces.txt": (EN.encode(), (1, {})),
        "quote\"and'apostrophe.txt": (FR.encode(), (1, {})),
        "ünïcödé статья 記事.txt": (RU.encode(), (1, {})),
        "only_boilerplate.txt": (
            b"ADVERTISEMENT\nSign up to receive our newsletter\n",
            (1, {}),  # a document whose every line was removed, each with its reason
        ),
    }
    return files


def write_small(dest: Path = FILES) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, (data, _) in small_files().items():
        (dest / name).write_bytes(data)


def _zeros_gz(path: Path, prefix: bytes, n_bytes: int) -> None:
    with gzip.open(path, "wb", compresslevel=6) as fh:
        fh.write(prefix)
        chunk = b"\0" * (1 << 20)
        for _ in range(n_bytes >> 20):
            fh.write(chunk)


def build(dest: Path) -> dict[str, tuple[int, dict[str, int]] | set[tuple[int, str]]]:
    """Lay out the whole corpus in ``dest``; return what each file must give.

    An expectation is (documents, {error: count}), or a set of single outcomes
    (documents 1 and error "", or 0 and the error) when more than one is right.
    """
    dest.mkdir(parents=True, exist_ok=True)
    expected: dict = {}
    small = small_files()
    for name, (_, exp) in small.items():
        src = FILES / name
        shutil.copyfile(src, dest / name)
        expected[name] = exp

    line = b"x" * (50 << 20)  # 50 MiB, over the 50 MB document limit
    (dest / "single_line_50mb.txt").write_bytes(line)
    expected["single_line_50mb.txt"] = (0, {"too_large": 1})
    good = json.dumps({"text": EN}).encode() + b"\n"
    with open(dest / "huge_line.jsonl", "wb") as fh:
        fh.write(good + b'{"text": "' + line + b'"}\n' + good)
    expected["huge_line.jsonl"] = (2, {"too_large": 1})

    _zeros_gz(dest / "bomb.txt.gz", b"", 200 << 20)
    expected["bomb.txt.gz"] = (0, {"too_large": 1})
    _zeros_gz(dest / "bomb.jsonl.gz", good, 200 << 20)
    expected["bomb.jsonl.gz"] = (1, {"too_large": 1})

    depth = 100_000
    (dest / "nested_100k.html").write_text(
        "<html><body>" + "<div>" * depth + "<p>Deep text.</p>" + "</div>" * depth + "</body></html>"
    )
    expected["nested_100k.html"] = {(1, ""), (0, "no_main_text"), (0, "html_too_deep")}
    paragraphs = "".join(
        f"<p>Paragraph {i} of a page built to keep the extractor busy for a while.</p>"
        for i in range(60_000)
    )
    (dest / "slow.html").write_text(f"<html><body>{paragraphs}</body></html>")
    expected["slow.html"] = (0, {"timeout": 1})

    os.symlink("loop-b.txt", dest / "loop-a.txt")
    os.symlink("loop-a.txt", dest / "loop-b.txt")
    expected["loop-a.txt"] = expected["loop-b.txt"] = (0, {"unreadable": 1})
    os.symlink("does-not-exist.txt", dest / "dangling.txt")
    expected["dangling.txt"] = (0, {"unreadable": 1})
    (dest / "sub").mkdir()
    os.symlink("..", dest / "sub" / "up")  # a folder loop: not followed
    (dest / "sub" / "inner.txt").write_bytes(EN.encode())
    expected["sub/inner.txt"] = (1, {})

    os.mkfifo(dest / "pipe.txt")
    expected["pipe.txt"] = (0, {"not_a_file": 1})
    unreadable = dest / "unreadable.txt"
    unreadable.write_bytes(EN.encode())
    unreadable.chmod(0)
    # root reads it anyway: then it is a document, not a reject.
    expected["unreadable.txt"] = (1, {}) if os.geteuid() == 0 else (0, {"unreadable": 1})

    (dest / "new\nline.txt").write_bytes(EN.encode())
    expected["new\nline.txt"] = (1, {})
    raw_name = os.fsencode(dest) + b"/latin1-caf\xe9.txt"
    with open(raw_name, "wb") as fh:
        fh.write(FR.encode())
    expected[os.fsdecode(b"latin1-caf\xe9.txt")] = (1, {})
    return expected


if __name__ == "__main__":
    write_small()
    print(f"wrote {len(small_files())} files to {FILES}")
