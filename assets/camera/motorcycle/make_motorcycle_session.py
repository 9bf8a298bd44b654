"""Builds assets/camera/motorcycle: a recorded stereo session (one rectified pair) from the
Middlebury 2014 "Motorcycle" scene as scikit-image ships it (quarter size, 741x500), with its
ground-truth disparity.

    python3 -m pip download --no-deps --only-binary=:all: scikit-image==0.26.0 -d /tmp/skw
    (cd /tmp/skw && unzip -o scikit_image-*.whl 'skimage/data/motorcycle*')
    python3 make_motorcycle_session.py /tmp/skw/skimage/data

Only the standard library is used: the ground truth (`motorcycle_disp.npz`, float32 pixels of
disparity, inf where unknown) is read straight from its zip, and written as a 16-bit PNG in
1/256 px units with 0 where unknown, the format `visor depth` writes its own disparity in.

The lens: Middlebury's calib.txt for Motorcycle (full size 2964x2000) gives
cam0 = [3979.911 0 1244.772; 0 3979.911 1019.507; 0 0 1], doffs = 124.343 px and
baseline = 193.001 mm. scikit-image's pair is that capture at a quarter of the size, so the
focal length, principal point and doffs are divided by 4; the baseline stays.
"""
import ast
import array
import math
import os
import shutil
import struct
import sys
import zipfile
import zlib

SCALE = 0.25
FOCAL, CX, CY, DOFFS, BASELINE_MM = 3979.911, 1244.772, 1019.507, 124.343, 193.001


def read_npz_float32(path):
    with zipfile.ZipFile(path) as z:
        raw = z.read(z.namelist()[0])
    assert raw[:6] == b"\x93NUMPY", "not a .npy inside the .npz"
    header_len = struct.unpack("<H", raw[8:10])[0]
    header = ast.literal_eval(raw[10:10 + header_len].decode())
    assert header["descr"] == "<f4" and not header["fortran_order"], header
    height, width = header["shape"]
    values = array.array("f")
    values.frombytes(raw[10 + header_len:])
    return width, height, values


def write_png_gray16(path, width, height, values):
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for v in values[y * width:(y + 1) * width]:
            rows += struct.pack(">H", v)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def main(data):
    here = os.path.dirname(os.path.abspath(__file__))
    for side in ("left", "right"):
        shutil.copyfile(os.path.join(data, f"motorcycle_{side}.png"), os.path.join(here, f"{side}.png"))
    width, height, disp = read_npz_float32(os.path.join(data, "motorcycle_disp.npz"))
    units = [round(d * 256) if math.isfinite(d) and d > 0 else 0 for d in disp]
    write_png_gray16(os.path.join(here, "disparity-truth.png"), width, height, units)
    f, cx, cy, doffs = FOCAL * SCALE, CX * SCALE, CY * SCALE, DOFFS * SCALE
    with open(os.path.join(here, "session.toml"), "w") as out:
        out.write("# Written by make_motorcycle_session.py: Middlebury 2014 Motorcycle at quarter size.\n")
        out.write(f"format = 1\nwidth = {width}\nheight = {height}\n")
        out.write(f"intrinsics = {{ fx = {f:.4f}, fy = {f:.4f}, cx = {cx:.4f}, cy = {cy:.4f} }}\n")
        out.write("\n# The right lens sits baseline_mm to the left lens's right; rows are rectified.\n")
        out.write(f"[stereo]\nbaseline_mm = {BASELINE_MM}\ndoffs_px = {doffs:.4f}\n")
        # One capture of a rig held still, listed twice 100 ms apart: the clip loops at 10 Hz, so
        # the shell sees a live picture (a single frame plays as a still that goes stale).
        out.write("\n# The rig held still: its one capture, twice, so the picture stays live at 10 Hz.\n")
        for t in (0, 100_000_000):
            out.write(f'[[frames]]\nfile = "left.png"\nright = "right.png"\ndisparity = "disparity-truth.png"\ntimestamp_ns = {t}\n')


if __name__ == "__main__":
    main(sys.argv[1])
