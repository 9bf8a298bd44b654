"""Vertices and the shapes the sample apps draw, as lists ready for `gfx.update_*_buffer`."""

from wit_world.imports import gfx, types


def vertex(position, normal, color, uv):
    """A vertex from tuples: position (x, y, z), normal (x, y, z), straight-alpha linear colour
    (r, g, b, a) and texture coordinate (u, v)."""
    return gfx.Vertex(types.Vec3(*position), types.Vec3(*normal), types.Vec4(*color), types.Vec2(*uv))


def quad(width, height, color):
    """A quad in the z = 0 plane, centred on the origin, facing +z: four vertices
    (bottom-left, bottom-right, top-right, top-left) and six indices."""
    w, h, n = width / 2, height / 2, (0, 0, 1)
    vertices = [
        vertex((-w, -h, 0), n, color, (0, 1)),
        vertex((w, -h, 0), n, color, (1, 1)),
        vertex((w, h, 0), n, color, (1, 0)),
        vertex((-w, h, 0), n, color, (0, 0)),
    ]
    return vertices, [0, 1, 2, 0, 2, 3]


def cube(size, face_colors):
    """An axis-aligned cube of edge `size` centred on the origin: 24 vertices (flat normals, one
    colour per face, in the order +x, -x, +y, -y, +z, -z) and 36 indices."""
    h = size / 2
    faces = [
        ((1, 0, 0), (0, 0, -1), (0, 1, 0)),
        ((-1, 0, 0), (0, 0, 1), (0, 1, 0)),
        ((0, 1, 0), (1, 0, 0), (0, 0, -1)),
        ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
        ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
        ((0, 0, -1), (-1, 0, 0), (0, 1, 0)),
    ]
    vertices, indices = [], []
    for (n, u, v), color in zip(faces, face_colors):
        base = len(vertices)
        for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            p = tuple((n[i] + u[i] * su + v[i] * sv) * h for i in range(3))
            vertices.append(vertex(p, n, color, ((su + 1) / 2, (1 - sv) / 2)))
        indices += [base, base + 1, base + 2, base, base + 2, base + 3]
    return vertices, indices
