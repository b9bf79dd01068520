"""Bytes to text: UTF-8 first, otherwise the detected encoding, never an exception."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and name the encoding used.

    A byte-order mark wins; then strict UTF-8 (most of the web); then
    charset-normalizer's best guess; as a last resort UTF-8 with U+FFFD for the bad
    bytes, so no input is ever lost to an exception.

    >>> decode_bytes("café".encode("utf-8"))
    ('café', 'utf-8')
    >>> decode_bytes("Привет, как дела? Всё хорошо, спасибо.".encode("cp1251"))[1]
    'cp1251'
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # deferred: only non-UTF-8 input needs it

    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("utf-8", errors="replace"), "utf-8-replace"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly Latin script has a NUL in every other byte.

    >>> _utf16_without_bom("plain text".encode("utf-16-le"))
    'utf-16-le'
    """
    sample = data[:65536]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zeros, odd_zeros = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    r"""A NUL byte near the start of a file that is not UTF-16/32 (git's rule), or
    many control bytes: binary, not text.

    >>> looks_binary(b"A normal line of text. And another one.")
    False
    >>> looks_binary(b"PK\x03\x04\x00\x00\x08\x00")
    True
    >>> looks_binary("UTF-16 text".encode("utf-16"))
    False
    """
    head = data[:8000]
    if any(head.startswith(bom) for bom, _ in _BOMS) or _utf16_without_bom(head):
        return False
    if b"\x00" in head:
        return True
    # Nor is text made of 5 % control bytes (random or compressed data is ~10 %).
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    return controls > 0.05 * len(head)


_CONTROL_BYTES = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B)]
