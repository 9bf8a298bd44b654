"""{{name}}: a Visor app. A coloured square floats a metre in front of where your head was
when the app started; point at it and it grows, click it and it changes colour.

`visor dev` runs it and reloads it in place each time you save: change COLOR below and watch
the square follow.
"""

from wit_world.imports import gfx, types

import visor
from visor import App, Mat4, mesh

# The square's colour: red, green, blue, alpha, each 0 to 1.
COLOR = (0.15, 0.55, 0.95, 1.0)
# Its colour after a click.
CLICKED = (0.95, 0.55, 0.15, 1.0)


class Square(App):
    def __init__(self):
        vertices, indices = mesh.quad(0.5, 0.5, COLOR)
        self.vertices = gfx.create_vertex_buffer(len(vertices))
        gfx.update_vertex_buffer(self.vertices, 0, vertices)
        self.indices = gfx.create_index_buffer(len(indices))
        gfx.update_index_buffer(self.indices, 0, indices)
        self.index_count = len(indices)
        self.pipeline = gfx.builtin(gfx.BuiltinPipeline.UNLIT)
        # World from square: placed in front of the head at the first frame.
        self.placed = None
        self.hovered = False
        self.clicked = False
        # The colour the vertex buffer holds now.
        self.shown = COLOR
        visor.info("{{name}} ready")

    def input(self, event):
        if isinstance(event, types.InputEvent_PointerMove):
            self.hovered = event.value.hit is not None
        elif isinstance(event, types.InputEvent_PointerLeave):
            self.hovered = False
        elif isinstance(event, types.InputEvent_PointerDown):
            self.clicked = not self.clicked

    def frame(self, info):
        color = CLICKED if self.clicked else COLOR
        if color != self.shown:
            vertices, _ = mesh.quad(0.5, 0.5, color)
            gfx.update_vertex_buffer(self.vertices, 0, vertices)
            self.shown = color
        if self.placed is None:
            self.placed = Mat4.from_wit(info.head) * Mat4.translation(0, 0, -1)
        model = self.placed * Mat4.scale(1.15 if self.hovered else 1.0)
        draw = gfx.Draw(self.pipeline, self.vertices, self.indices, 0, self.index_count, model.to_wit(), None, None, [])
        gfx.submit_draw(draw)


# What componentize-py exports: the `app` world's init and frame, running a Square.
WitWorld = visor.export(Square)
