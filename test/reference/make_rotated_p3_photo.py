"""A phone-like photo for the decoding reference test: a JPEG with EXIF orientation 6 (stored sideways,
shown rotated 90° clockwise) and an embedded wide-gamut ICC profile (Display P3 primaries, gamma 2.2),
made with Pillow. Pillow cannot create such a profile, so its bytes are written here (ICC v2
matrix/TRC profile; colorants are Display P3's, adapted to D50).

Usage: python3 make_rotated_p3_photo.py OUT.jpg
"""
import struct
import sys

import numpy as np
from PIL import Image


def s15f16(x):
    return struct.pack(">i", int(round(x * 65536)))


def xyz_tag(x, y, z):
    return b"XYZ " + b"\0" * 4 + s15f16(x) + s15f16(y) + s15f16(z)


def curve_tag(gamma):
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"


def desc_tag(text):
    ascii_ = text.encode("ascii") + b"\0"
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_)) + ascii_ + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67


def text_tag(text):
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def p3_profile():
    d50 = (0.9642, 1.0, 0.8249)
    tags = [
        (b"desc", desc_tag("Display P3 (gamma 2.2) test profile")),
        (b"cprt", text_tag("No copyright, test data")),
        (b"wtpt", xyz_tag(*d50)),
        (b"rXYZ", xyz_tag(0.515121, 0.241196, -0.001053)),
        (b"gXYZ", xyz_tag(0.291977, 0.692245, 0.041885)),
        (b"bXYZ", xyz_tag(0.157104, 0.066574, 0.784073)),
        (b"rTRC", curve_tag(2.2)),
        (b"gTRC", curve_tag(2.2)),
        (b"bTRC", curve_tag(2.2)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    size = 128 + len(body)
    header = (
        struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntr" + b"RGB " + b"XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 4 + struct.pack(">I", 0) + b"\0" * 8 + b"\0" * 8
        + struct.pack(">I", 0) + s15f16(d50[0]) + s15f16(d50[1]) + s15f16(d50[2]) + b"\0" * 4 + b"\0" * 44
    )
    assert len(header) == 128
    return header + body


def photo():
    # Saturated, smooth colours (where P3 and sRGB differ most), asymmetric so a missed rotation shows.
    h, w = 96, 160
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * (x / (w - 1))
    g = 255 * (0.5 + 0.5 * np.sin(y / 9.0))
    b = 255 * ((x + 2 * y) % 97) / 96
    rgb = np.stack([r, g, b], axis=-1)
    rgb[:20, :40] = (250, 20, 30)  # a vivid red corner
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def main(out):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display.
    photo().save(out, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=p3_profile())


if __name__ == "__main__":
    main(sys.argv[1])
