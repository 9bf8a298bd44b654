"""Writes assets/poses/head-sweep.jsonl: a SYNTHESIZED head-pose track in the recorded-track
format (`poses.jsonl`, drivers/src/session/mod.rs), NOT captured from any hardware.

It stands in for a recording so runs and tests that need a moving head are repeatable: ten
seconds at 120 Hz of a smooth sweep — yaw +-25 degrees (two slow left-right sweeps), pitch
+-6 degrees (three nods), and the head swaying 0.3 m from side to side (x = +-0.15 m, one sway).
Every component is periodic in 10 s and the last pose is one sample before t = 10 s, so the
track loops without a seam in the pose driver (drivers/src/pose/track.rs plays it with a period
of its span plus one sample interval).

Orientation is yaw about +y then pitch about +x (head to world, looking down -z at rest),
written as a unit quaternion [x, y, z, w]; positions in metres; timestamps in nanoseconds from 0.

    python3 scripts/make_pose_track.py                   # rewrites assets/poses/head-sweep.jsonl
    python3 scripts/make_pose_track.py --out other.jsonl --seconds 4 --rate 60

Standard library only, deterministic: the same arguments give the same bytes.
"""
import argparse
import json
import math
import pathlib

YAW_DEG, YAW_CYCLES = 25.0, 2
PITCH_DEG, PITCH_CYCLES = 6.0, 3
SWAY_M, SWAY_CYCLES = 0.15, 1


def pose(t: float, period: float) -> dict:
    phase = 2.0 * math.pi * t / period
    yaw = math.radians(YAW_DEG) * math.sin(YAW_CYCLES * phase)
    pitch = math.radians(PITCH_DEG) * math.sin(PITCH_CYCLES * phase)
    x = SWAY_M * math.sin(SWAY_CYCLES * phase)
    # q = q_yaw(about y) * q_pitch(about x)
    sy, cy = math.sin(yaw / 2.0), math.cos(yaw / 2.0)
    sp, cp = math.sin(pitch / 2.0), math.cos(pitch / 2.0)
    orientation = [cy * sp, sy * cp, -sy * sp, cy * cp]
    return {
        "timestamp_ns": round(t * 1e9),
        "position": [round(x, 6), 0.0, 0.0],
        "orientation": [round(c, 7) + 0.0 for c in orientation],  # + 0.0: no "-0.0"
    }


def main() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=root / "assets" / "poses" / "head-sweep.jsonl")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=120.0, help="poses per second")
    args = parser.parse_args()
    count = round(args.seconds * args.rate)
    lines = [json.dumps(pose(i / args.rate, args.seconds), separators=(",", ":")) for i in range(count)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {count} poses ({args.seconds} s at {args.rate} Hz) to {args.out}")


if __name__ == "__main__":
    main()
