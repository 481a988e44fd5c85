"""imgui-bundle's native `imgui` and `implot`, loaded without the rest of its package's start-up.

`import imgui_bundle` runs a package `__init__` that, besides loading the native extension, imports what
glviz never uses: immapp and its async runners (asyncio), glfw_utils, a downloader for Markdown images,
the test engine's guards and notebook patches. That is 290 – 350 ms here against 110 – 160 ms for the
extension alone, on the app's way to its first frame. `install()` puts a package of just the two native
modules glviz draws with under the name `imgui_bundle`, so that `from imgui_bundle import imgui, implot`
everywhere finds them; the objects are the same ones the full package hands out.
"""

from __future__ import annotations

import importlib.util
import sys
import types

PACKAGE = "imgui_bundle"
NATIVE_MODULES = ("imgui", "implot")  # all that glviz imports from imgui-bundle


def install() -> bool:
    """Load imgui-bundle's native modules under a package of their own, unless `imgui_bundle` is already
    imported; True when this installed it. Where the extension is not laid out as expected (another
    imgui-bundle version), nothing is left behind and the full package is imported later, as usual."""
    if PACKAGE in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    package = types.ModuleType(PACKAGE, "imgui-bundle's native imgui and implot (glviz.ui.imgui_native)")
    package.__path__ = list(spec.submodule_search_locations)  # its other submodules stay importable
    package.__file__ = spec.origin
    package.__spec__ = spec  # what find_spec("imgui_bundle") answers from now on (fonts.py reads its folder)
    package.__loader__ = spec.loader
    sys.modules[PACKAGE] = package
    try:
        native = importlib.import_module(f"{PACKAGE}._imgui_bundle")
        available = set(native.__bundle_submodules_available__)
        if not available.issuperset(NATIVE_MODULES):
            raise ImportError(f"{PACKAGE} lacks {set(NATIVE_MODULES) - available}")
        for name in NATIVE_MODULES:
            module = getattr(native, name)
            setattr(package, name, module)
            sys.modules[f"{PACKAGE}.{name}"] = module
    except Exception:  # any surprise: leave it to the full package's own import
        if sys.modules.get(PACKAGE) is package:
            del sys.modules[PACKAGE]
        for name in NATIVE_MODULES:
            sys.modules.pop(f"{PACKAGE}.{name}", None)
        return False
    return True
