"""What a reader yields: a document's identity."""

from __future__ import annotations

from flows.data.documents import RawDocument


def test_doc_id_is_stable_and_content_sensitive() -> None:
    a = RawDocument("s.txt", None, b"abc", False, "txt")
    assert a.doc_id == RawDocument("s.txt", None, b"abc", False, "txt").doc_id
    assert a.doc_id != RawDocument("s.txt", None, b"abd", False, "txt").doc_id
    assert a.doc_id != RawDocument("t.txt", None, b"abc", False, "txt").doc_id
