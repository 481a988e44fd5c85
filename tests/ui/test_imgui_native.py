"""imgui-bundle's native imgui and implot without its package's start-up (glviz.ui.imgui_native).

Each case runs in a fresh interpreter: what is imported is the point, and the suite's own process has imported
imgui-bundle long before.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> list[str]:
    """The lines a fresh interpreter prints running `code`."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_imgui_and_implot_work_without_immapp_or_asyncio():
    out = run_python("""
        import sys
        from glviz.ui import imgui_native
        installed = imgui_native.install()
        from imgui_bundle import imgui, implot
        import imgui_bundle._imgui_bundle as native
        context = imgui.create_context()
        plot_context = implot.create_context()
        assert imgui.get_version().startswith("1.9")
        implot.destroy_context(plot_context)
        imgui.destroy_context(context)
        from glviz import fonts  # finds Roboto in the package's folder through its spec
        print(installed, imgui is native.imgui, implot is native.implot, fonts.roboto("bold") is not None,
              "imgui_bundle.immapp" in sys.modules, "asyncio" in sys.modules, "glfw" in sys.modules)
    """)
    assert out == ["True", "True", "True", "True", "False", "False", "False"]


def test_the_apps_preload_imports_no_immapp_or_asyncio():
    """The app's own modules, preloaded as `glviz app` does, bring in nothing the light import leaves out
    (the gain would be lost if one of them imported the full package)."""
    out = run_python("""
        import sys
        from glviz.ui.preload import Preload
        Preload().wait()
        import glviz.ui.app
        package = sys.modules["imgui_bundle"]
        print("imgui_bundle.immapp" in sys.modules, "asyncio" in sys.modules, hasattr(package, "immapp"))
    """)
    assert out == ["False", "False", "False"]


def test_an_imported_imgui_bundle_is_left_as_it_is():
    out = run_python("""
        import imgui_bundle
        from glviz.ui import imgui_native
        import sys
        same = sys.modules["imgui_bundle"] is imgui_bundle
        print(imgui_native.install(), hasattr(imgui_bundle, "immapp"), same)
    """)
    assert out == ["False", "True", "True"]


def test_an_unexpected_layout_leaves_nothing_behind_and_the_full_package_imports():
    """A native extension without a module glviz asks for (as another imgui-bundle version might be): install
    declines, removes its package, and `import imgui_bundle` then runs the package's own start-up."""
    out = run_python("""
        import sys
        from glviz.ui import imgui_native
        imgui_native.NATIVE_MODULES = ("imgui", "no_such_module")
        installed = imgui_native.install()
        names = ("imgui_bundle", "imgui_bundle.imgui", "imgui_bundle.no_such_module")
        left = [m for m in names if m in sys.modules]
        import imgui_bundle
        print(installed, left == [], hasattr(imgui_bundle, "immapp"), hasattr(imgui_bundle, "imgui"))
    """)
    assert out == ["False", "True", "True", "True"]
