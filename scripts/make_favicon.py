"""Write theme/favicon.ico: the theme's default site icon (32×32, a PNG inside an ICO container).

Drawn here rather than by hand so anyone can change it and get the same bytes again: a star in a
gold ring on the header's dark red, 4×4 supersampled. Pure standard library (zlib, struct).
A court sets its own icon with PORTAL_FAVICON (docs/settings.md).
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 32
SAMPLES = 4
RED, GOLD, WHITE = (0x7A, 0x1C, 0x1C), (0xE8, 0xC3, 0x5A), (0xFF, 0xFF, 0xFF)


def star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    pts = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def inside(poly: list[tuple[float, float]], x: float, y: float) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def colour(x: float, y: float, shape: list[tuple[float, float]]) -> tuple[int, int, int, int]:
    c = SIZE / 2
    d = math.hypot(x - c, y - c)
    if d > 15.5:
        return (0, 0, 0, 0)
    if d > 13:
        return (*GOLD, 255)
    if inside(shape, x, y):
        return (*WHITE, 255)
    return (*RED, 255)


def pixels() -> bytes:
    shape = star(SIZE / 2, SIZE / 2 + 0.8, 10.5, 4.3)
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # PNG filter: none
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    r, g, b, a = colour(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES, shape)
                    acc = [acc[0] + r * a, acc[1] + g * a, acc[2] + b * a, acc[3] + a]
            alpha = acc[3]
            rgb = [round(v / alpha) if alpha else 0 for v in acc[:3]]
            row += bytes([*rgb, round(alpha / SAMPLES**2)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(image: bytes) -> bytes:
    """An ICO file of one PNG image (Windows Vista+ and every current browser read it)."""
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "theme" / "favicon.ico"
    target.write_bytes(ico(png(pixels())))
    print(f"wrote {target}")
