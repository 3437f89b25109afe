"""Read back a QR code as a scanner would: segno's SVG path → module grid → pixels → zxing-cpp.

The decoder (zxing-cpp) knows nothing of segno, so a code that decodes to the record URL proves
the page holds a scannable link, not merely the same string segno would write again.
"""

from __future__ import annotations

import re

import zxingcpp

_STEP = re.compile(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?")


def dark_modules(path_d: str) -> set[tuple[int, int]]:
    """(x, y) of every dark module in segno's path: absolute M, relative m moves, h strokes 1 unit thick."""
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in _STEP.findall(path_d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            n = float(a)
            dark.update((int(x) + i, int(y)) for i in range(int(n)))
            x += n
    return dark


def decode_gray(pixels: bytes, width: int, height: int) -> list[str]:
    """Texts of the QR codes zxing-cpp finds in an 8-bit grayscale image."""
    view = memoryview(pixels).cast("B", (height, width))
    return [b.text for b in zxingcpp.read_barcodes(view, formats=zxingcpp.BarcodeFormat.QRCode)]


def decode_path(path_d: str, size: int, scale: int = 6) -> list[str]:
    """Draw the modules (size × size, quiet zone included) black on white and decode them."""
    dark = dark_modules(path_d)
    side = size * scale
    rows = bytearray()
    for py in range(side):
        y = py // scale
        rows += bytes(0 if (px // scale, y) in dark else 255 for px in range(side))
    return decode_gray(bytes(rows), side, side)
