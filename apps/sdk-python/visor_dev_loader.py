"""Visor's dev loader for Python apps. `visor dev` builds a project's component once around this
module instead of `app.py`, and hands it the project's sources through the environment
(`VISOR_DEV_SOURCES`) on every start: a saved change then runs on the component already
compiled, without building it again. CPython, the standard library and the `visor` package stay
as they were built; a change to those, to `wit/` or to `visor.toml` makes `visor dev` build anew.

componentize-py can import modules only while it builds, so `PREIMPORT` (written in by
`visor dev`) lists what the sources import, and they are imported here, at build time.

VISOR_DEV_SOURCES: JSON {"module.name": ["file/in/project.py", "source text", is_package]}.
"""

import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import traceback

import wit_world
from componentize_py_types import Err

import visor  # noqa: F401  (the project's SDK, as built)

PREIMPORT = []

for _name in PREIMPORT:
    try:
        importlib.import_module(_name)
    except Exception:
        pass  # the project's own module, or an attribute: the app's own import says what is wrong


class _Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the project's modules from the sources handed over, under their own file names
    (so tracebacks name `app.py`, line N)."""

    def __init__(self, files):
        self.files = files

    def find_spec(self, name, path=None, target=None):
        entry = self.files.get(name)
        if entry is None:
            return None
        return importlib.util.spec_from_loader(name, self, origin=entry[0], is_package=entry[2])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        filename, text, _ = self.files[module.__name__]
        module.__file__ = filename
        exec(compile(text, filename, "exec"), module.__dict__)


# The app's own exports. componentize-py makes a `WitWorld` of its own for each call, so they
# live here, as the SDK keeps its app.
_world = None


class WitWorld(wit_world.WitWorld):
    def init(self):
        global _world
        try:
            files = json.loads(os.environ.get("VISOR_DEV_SOURCES", "{}"))
            sys.meta_path.insert(0, _Sources(files))
            app = importlib.import_module("app")
            _world = app.WitWorld()
        except Err:
            raise
        except SyntaxError as e:
            raise Err(f'loading app.py: File "{e.filename}", line {e.lineno}\n    {(e.text or "").rstrip()}\nSyntaxError: {e.msg}')
        except Exception:
            raise Err("loading app.py raised:\n" + traceback.format_exc(limit=-8).rstrip())
        return _world.init()

    def frame(self, info):
        if _world is None:
            raise Err("frame called before init succeeded")
        return _world.frame(info)
