"""The Visor app SDK for Python: write an AR app in Python, build it with `visor build`
(componentize-py) into a WebAssembly component against the `app` world in `wit/visor.wit`.

It mirrors the Rust SDK (`visor_sdk`): the bindings come from the same WIT file, and on top of
them it adds only what every app would otherwise write itself:

- `App` and `export`: an app is a plain class; `WitWorld = export(MyApp)` exports it;
- `Mat4`: column-major 4x4 matrices (translation, scale, rotation, product) and their WIT form;
- `mesh`: vertices and the quad and cube shapes;
- `Canvas`: an RGBA canvas with 8x8 bitmap text, for labels drawn into textures;
- `Panel`: a textured rectangle in the world showing a canvas (HUDs, windows);
- `info`, `warn`, `now_seconds`: the shell's log and clock.

    from visor import App, export

    class Hello(App):
        def frame(self, info):
            pass

    WitWorld = export(Hello)

Pure Python, no native extensions: everything here runs inside the component.
"""

from .app import App, export
from .mat4 import Mat4
from . import mesh
from .canvas import Canvas
from .panel import Panel
from .log import info, warn, error, now_seconds

__all__ = ["App", "export", "Mat4", "mesh", "Canvas", "Panel", "info", "warn", "error", "now_seconds"]
