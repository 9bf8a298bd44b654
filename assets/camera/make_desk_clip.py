#!/usr/bin/env python3
"""Makes assets/camera/desk/: 8 JPEG frames (320x240) of a slow camera pan over a real photo.

The photo is scikit-image's `coffee.png` (a cup of coffee on a wooden counter; CC0 by the
photographer, Rachel Michetti; see desk/SOURCE.md). A 4:3 window slides left to right (and a
little down) across it and each crop is resized to 320x240, so the replay camera has real
texture and visible motion without shipping a video.

Usage (needs Pillow: `pip install pillow`):
    python3 assets/camera/make_desk_clip.py                 # fetches the pinned wheel with pip
    python3 assets/camera/make_desk_clip.py --source coffee.png

Output is deterministic for a given Pillow version: fixed crop boxes, fixed JPEG settings.
"""

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from PIL import Image

SKIMAGE = "scikit-image==0.26.0"
MEMBER = "skimage/data/coffee.png"
# The coffee.png inside the pinned wheel; a different file means a different clip.
SOURCE_SHA256 = "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"

FRAMES = 8
OUT_W, OUT_H = 320, 240
# 480x360 out of 600x400: enough room to pan 120 px across and drift 20 px down.
WIN_W, WIN_H = 480, 360
START = (0, 10)
END = (120, 30)
JPEG_QUALITY = 85


def fetch_source(tmp: Path) -> bytes:
    """Downloads the pinned scikit-image wheel with pip and returns coffee.png's bytes."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "-d", str(tmp), SKIMAGE],
        check=True,
    )
    wheel = next(tmp.glob("scikit_image-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        return z.read(MEMBER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="coffee.png already on disk")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "desk")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = args.source.read_bytes() if args.source else fetch_source(Path(tmp))
        digest = hashlib.sha256(data).hexdigest()
        if digest != SOURCE_SHA256:
            print(f"warning: source sha256 {digest} differs from the pinned {SOURCE_SHA256}",
                  file=sys.stderr)
        src_path = Path(tmp) / "coffee.png"
        src_path.write_bytes(data)
        photo = Image.open(src_path).convert("RGB")

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("frame_*.jpg"):
        old.unlink()
    for i in range(FRAMES):
        t = i / (FRAMES - 1)
        x = round(START[0] + (END[0] - START[0]) * t)
        y = round(START[1] + (END[1] - START[1]) * t)
        crop = photo.crop((x, y, x + WIN_W, y + WIN_H))
        frame = crop.resize((OUT_W, OUT_H), Image.LANCZOS)
        path = args.out / f"frame_{i:03}.jpg"
        frame.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        print(f"{path.name}: crop ({x}, {y}) {WIN_W}x{WIN_H} -> {OUT_W}x{OUT_H}")


if __name__ == "__main__":
    main()
