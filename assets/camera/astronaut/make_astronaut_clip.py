"""Builds assets/camera/astronaut: a recorded session (session.toml + JPEG frames) of a camera
panning and zooming across scikit-image's public-domain `astronaut.png` (NASA photograph of
Eileen Collins), plus annotations.json with the face's known box in every frame.

    pip download --no-deps scikit-image && unzip -o scikit_image-*.whl 'skimage/data/astronaut.png'
    pip install pillow && python make_astronaut_clip.py skimage/data/astronaut.png

The face box in the source image was labelled by hand (cheek to cheek, brow line to chin):
x 172..274, y 80..184 of 512x512. Each frame is a 4:3 window of the source scaled to 320x240,
so the box in a frame is that window's affine map of the labelled one.
"""
import json
import os
import sys

from PIL import Image

FACE = (172, 80, 274, 184)  # x0, y0, x1, y1 in astronaut.png
OUT_W, OUT_H = 320, 240
FRAMES = 12
FPS = 30

src = Image.open(sys.argv[1]).convert("RGB")
here = os.path.dirname(os.path.abspath(__file__))
frames, annotations = [], []
for i in range(FRAMES):
    t = i / (FRAMES - 1)
    win_w = 440 - 80 * t  # zoom in slowly: window 440x330 -> 360x270
    win_h = win_w * 3 / 4
    x0 = 10 + 100 * t     # pan right and down
    y0 = 0 + 40 * t
    frame = src.resize((OUT_W, OUT_H), Image.LANCZOS, box=(x0, y0, x0 + win_w, y0 + win_h))
    name = f"frame-{i:04d}.jpg"
    frame.save(os.path.join(here, name), quality=90)
    s = OUT_W / win_w
    box = [(FACE[0] - x0) * s, (FACE[1] - y0) * s, (FACE[2] - x0) * s, (FACE[3] - y0) * s]
    frames.append((name, round(i * 1e9 / FPS)))
    annotations.append({
        "file": name,
        "face_px": [round(v, 1) for v in box],
        "face": {"x": box[0] / OUT_W, "y": box[1] / OUT_H, "w": (box[2] - box[0]) / OUT_W, "h": (box[3] - box[1]) / OUT_H},
    })

with open(os.path.join(here, "session.toml"), "w") as f:
    f.write("# Written by make_astronaut_clip.py: a camera panning over astronaut.png.\n")
    f.write(f"format = 1\nwidth = {OUT_W}\nheight = {OUT_H}\n")
    # Notional lens: 90 degrees across, matching the desktop-sim display so the passthrough and
    # the vision module's 3D estimates agree.
    f.write(f"intrinsics = {{ fx = {OUT_W / 2:.1f}, fy = {OUT_W / 2:.1f}, cx = {OUT_W / 2:.1f}, cy = {OUT_H / 2:.1f} }}\n")
    for name, ts in frames:
        f.write(f"\n[[frames]]\nfile = \"{name}\"\ntimestamp_ns = {ts}\n")
with open(os.path.join(here, "annotations.json"), "w") as f:
    json.dump({"source": "skimage/data/astronaut.png", "faces": annotations}, f, indent=1)
