"""Content-Encoding decoding with a cap on the DECODED size.

We ask for ``gzip, deflate`` ourselves and let aiohttp hand us the raw bytes, so a 1 MB
gzip bomb that would inflate to 1 GB is cut as soon as the output passes the cap: every
``decompress`` call is bounded by ``max_length``, so memory stays flat.
"""

from __future__ import annotations

import zlib

from bot.errors import FetchError, TooLargeError

_CHUNK = 64 * 1024


class BodyDecoder:
    """Feed raw chunks in, get decoded bytes out; raises TooLargeError past ``limit``."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"stacked content encodings are not supported: {content_encoding}")
        self._coding = codings[0] if codings else ""
        if self._coding not in ("", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported content encoding {self._coding!r}")
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        self._z: zlib._Decompress | None = None
        self._pending = b""  # deflate: bytes held until we know zlib vs raw

    def feed(self, data: bytes) -> None:
        if not self._coding:
            self._emit(data)
            return
        if self._z is None:
            self._pending += data
            if self._coding == "deflate" and len(self._pending) < 2:
                return
            self._z = self._new_decompressor(self._pending)
            data, self._pending = self._pending, b""
        self._inflate(data)

    def _new_decompressor(self, head: bytes) -> zlib._Decompress:
        if self._coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
        is_zlib = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)

    def _inflate(self, data: bytes) -> None:
        assert self._z is not None
        while data:
            try:
                out = self._z.decompress(data, self._room())
            except zlib.error as exc:
                raise FetchError(f"corrupt {self._coding} body: {exc}") from exc
            self._emit(out)
            if self._z.unconsumed_tail:
                data = self._z.unconsumed_tail
            elif self._z.eof and self._z.unused_data and self._coding != "deflate":
                data = self._z.unused_data  # concatenated gzip members
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""

    def _room(self) -> int:
        # One byte past the cap is enough to know it was exceeded.
        return max(1, min(_CHUNK * 4, self._limit - self._size + 1))

    def _emit(self, out: bytes) -> None:
        if not out:
            return
        self._size += len(out)
        if self._size > self._limit:
            raise TooLargeError(f"decoded body exceeds {self._limit} bytes")
        self._parts.append(out)

    def finish(self) -> bytes:
        if self._z is None and self._pending:
            self._z = self._new_decompressor(self._pending)
            data, self._pending = self._pending, b""
            self._inflate(data)
        if self._z is not None:
            try:
                self._emit(self._z.flush(self._room()))
            except zlib.error as exc:
                raise FetchError(f"corrupt {self._coding} body: {exc}") from exc
        return b"".join(self._parts)
