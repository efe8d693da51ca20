"""What an image's bytes say it is: PNG, JPEG, GIF or WebP, and its size in pixels.

Read from the headers alone, no decoder: a file is taken only as the raster
image its bytes say it is, whatever its name or `Content-Type`; SVG (which can
carry script) and everything else is refused."""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_IMAGE_BYTES = 5_000_000
"""Larger files are refused."""
MAX_PIXELS = 40_000_000
"""Width times height; more is refused (a decompression bomb's tell)."""
MAX_SIDE = 20_000

_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class ImageInfo:
    kind: str
    """`png`, `jpeg`, `gif` or `webp`."""
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return f"image/{self.kind}"

    @property
    def suffix(self) -> str:
        return ".jpg" if self.kind == "jpeg" else f".{self.kind}"


def image_info(data: bytes) -> ImageInfo | None:
    """The image `data` holds, or `None` when it is not a PNG, JPEG, GIF or
    WebP with sane sizes, or is larger than `MAX_IMAGE_BYTES`."""
    if len(data) > MAX_IMAGE_BYTES:
        return None
    size = _size(data)
    if size is None:
        return None
    kind, width, height = size
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
        return None
    return ImageInfo(kind, width, height)


def _size(data: bytes) -> tuple[str, int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp(data)
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg(data)
    return None


def _webp(data: bytes) -> tuple[str, int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return "webp", width, height
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return "webp", width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return "webp", 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _jpeg(data: bytes) -> tuple[str, int, int] | None:
    """The size in the first start-of-frame segment; the walk is bounded by the data."""
    at = 2
    end = len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_FRAMES:
            if at + 9 > end:
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return "jpeg", width, height
        if marker == 0xD9:
            return None
        at += 2 + length
    return None
