"""`Mat4`: a column-major 4x4 matrix, as WGSL, glam and the WIT `mat4` record hold it.

`m[c * 4 + r]` is row r of column c; `a * b` applies b first, then a (as in glam), and
`a.transform_point((x, y, z))` maps a point.
"""

import math

from wit_world.imports import types


class Mat4:
    __slots__ = ("m",)

    def __init__(self, m):
        self.m = list(m)
        if len(self.m) != 16:
            raise ValueError(f"a Mat4 holds 16 numbers, column by column; got {len(self.m)}")

    @staticmethod
    def identity():
        return Mat4((1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))

    @staticmethod
    def translation(x, y, z):
        return Mat4((1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, y, z, 1))

    @staticmethod
    def scale(x, y=None, z=None):
        y = x if y is None else y
        z = x if z is None else z
        return Mat4((x, 0, 0, 0, 0, y, 0, 0, 0, 0, z, 0, 0, 0, 0, 1))

    @staticmethod
    def rotation_x(radians):
        c, s = math.cos(radians), math.sin(radians)
        return Mat4((1, 0, 0, 0, 0, c, s, 0, 0, -s, c, 0, 0, 0, 0, 1))

    @staticmethod
    def rotation_y(radians):
        c, s = math.cos(radians), math.sin(radians)
        return Mat4((c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, 0, 0, 0, 1))

    @staticmethod
    def rotation_z(radians):
        c, s = math.cos(radians), math.sin(radians)
        return Mat4((c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))

    def __mul__(self, other):
        a, b = self.m, other.m
        return Mat4(
            sum(a[k * 4 + r] * b[c * 4 + k] for k in range(4)) for c in range(4) for r in range(4)
        )

    def transform_point(self, p):
        m = self.m
        x, y, z = p
        return tuple(m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r] for r in range(3))

    def to_wit(self):
        m = self.m
        col = lambda c: types.Vec4(m[c * 4], m[c * 4 + 1], m[c * 4 + 2], m[c * 4 + 3])
        return types.Mat4(col(0), col(1), col(2), col(3))

    @staticmethod
    def from_wit(w):
        return Mat4(v for c in (w.c0, w.c1, w.c2, w.c3) for v in (c.x, c.y, c.z, c.w))

    def __eq__(self, other):
        return isinstance(other, Mat4) and self.m == other.m

    def __repr__(self):
        return f"Mat4({self.m})"
