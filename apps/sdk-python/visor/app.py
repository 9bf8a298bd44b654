"""`App` and `export`: an app is a class created once by `init` and asked for each frame.

componentize-py calls the exports on a `WitWorld` object it makes itself, so the app's state
lives here, in one module-level slot, as the Rust SDK keeps it in a thread-local. An exception
in `__init__`, `input` or `frame` becomes the export's error value, carrying Python's traceback
(file and line), which the shell shows in its log, the admin panel and `visor dev`'s overlay.
"""

import traceback

import wit_world
from componentize_py_types import Err


class App:
    """Subclass it: `__init__` sets up buffers and pipelines, `frame(info)` records this
    frame's draws, and `input(event)` receives the events routed to the app since its last
    frame, oldest first, just before `frame` (they are also in `info.events`)."""

    def input(self, event):
        pass

    def frame(self, info):
        pass


_app = None


def _fail(what):
    # The last lines of the traceback: where it happened and what it was.
    # componentize-py mounts the project at /0: name files as the author sees them.
    trace = traceback.format_exc(limit=-8).rstrip().replace('File "/0/', 'File "')
    raise Err(f"{what} raised:\n{trace}")


def export(cls):
    """The `WitWorld` class componentize-py exports, running an instance of `cls`."""

    class Exported(wit_world.WitWorld):
        def init(self):
            global _app
            try:
                _app = cls()
            except Err:
                raise
            except Exception:
                _fail(f"{cls.__name__}()")

        def frame(self, info):
            if _app is None:
                raise Err("frame called before init succeeded")
            try:
                for event in info.events:
                    _app.input(event)
                _app.frame(info)
            except Err:
                raise
            except Exception:
                _fail(f"{cls.__name__}.frame")

    Exported.__name__ = "WitWorld"
    return Exported
