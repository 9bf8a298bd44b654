"""`Panel`: a flat textured rectangle in the world showing a `Canvas` (a HUD's readout, a
window). Painting is Python work in the app; the texture is sent only on `upload`."""

from wit_world.imports import gfx

from . import mesh
from .canvas import Canvas


def _check(what, call, *args):
    try:
        return call(*args)
    except Exception as e:  # componentize-py raises Err(gfx error) for an error value
        raise RuntimeError(f"{what}: {getattr(e, 'value', e)}") from None


class Panel:
    def __init__(self, width, height, pixels_wide, pixels_high):
        """A panel `width` x `height` metres, centred on its origin in the z = 0 plane, facing
        +z, showing a canvas of `pixels_wide` x `pixels_high`."""
        v, i = mesh.quad(width, height, (1, 1, 1, 1))
        self.vertices = _check("vertex buffer", gfx.create_vertex_buffer, len(v))
        _check("vertex buffer", gfx.update_vertex_buffer, self.vertices, 0, v)
        self.indices = _check("index buffer", gfx.create_index_buffer, len(i))
        _check("index buffer", gfx.update_index_buffer, self.indices, 0, i)
        self.canvas = Canvas(pixels_wide, pixels_high)
        self.texture = _check("texture", gfx.create_texture, pixels_wide, pixels_high, bytes(self.canvas.pixels))
        self.pipeline = gfx.builtin(gfx.BuiltinPipeline.TEXTURED)

    def upload(self):
        """Sends the canvas to the panel's texture."""
        _check("texture", gfx.update_texture, self.texture, bytes(self.canvas.pixels))

    def draw(self, model):
        """Draws the panel this frame, placed by `model` (a `Mat4`: world from panel)."""
        call = gfx.Draw(self.pipeline, self.vertices, self.indices, 0, 6, model.to_wit(), self.texture, None, [])
        _check("draw", gfx.submit_draw, call)
