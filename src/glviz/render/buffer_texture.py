"""Buffer textures (GL_TEXTURE_BUFFER): a flat array of texels (1 or 4 components) in a GL buffer, which
shaders read with `texelFetch(samplerBuffer, i)`.

Software GL (Mesa's llvmpipe) fetches a texel from a buffer texture at about half the cost of one from a 2-D
or array texture, which must work out a row, a layer and a level first: the values and the page table that
every block pixel reads, and the per-block tables every block vertex reads, are buffer textures (the GPT-2
close view 15.8 -> 14.1 ms, the GPT-3 overview 26 -> 22 - 24 ms). moderngl has no object for them, so the
texture is made and bound here with GL calls of its own, through the loader moderngl's context uses (its
glcontext object, else the system's libGL); and moderngl cannot set a samplerBuffer uniform, so the shaders
give its unit with `layout(binding = n)` (GL_ARB_shading_language_420pack).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import weakref

import numpy as np

GL_TEXTURE_BUFFER = 0x8C2A
GL_TEXTURE0 = 0x84C0
# (dtype, components) -> internal format: R32F, R32I, RGBA32F, RGBA32I
FORMATS = {("f4", 1): 0x822E, ("i4", 1): 0x8235, ("f4", 4): 0x8814, ("i4", 4): 0x8D82}
_FUNCTIONS = {  # name: argument types (all return nothing)
    "glGenTextures": (ctypes.c_int, ctypes.POINTER(ctypes.c_uint)),
    "glDeleteTextures": (ctypes.c_int, ctypes.POINTER(ctypes.c_uint)),
    "glBindTexture": (ctypes.c_uint, ctypes.c_uint),
    "glActiveTexture": (ctypes.c_uint,),
    "glTexBuffer": (ctypes.c_uint, ctypes.c_uint, ctypes.c_uint),
}
_calls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per context: the functions above


def _gl(ctx) -> dict:
    """The GL functions above for `ctx`, loaded once: by moderngl's own loader (glcontext), else from the
    system's libGL."""
    if ctx not in _calls:
        load = getattr(getattr(ctx.mglo, "_context", None), "load_opengl_function", None)
        library = None if load is not None else ctypes.CDLL(ctypes.util.find_library("GL") or "libGL.so.1")
        calls = {}
        for name, argtypes in _FUNCTIONS.items():
            if load is not None:
                calls[name] = ctypes.CFUNCTYPE(None, *argtypes)(load(name))
            else:
                function = getattr(library, name)
                function.argtypes, function.restype = list(argtypes), None
                calls[name] = function
        _calls[ctx] = calls
    return _calls[ctx]


def max_texels(ctx) -> int:
    """The most texels a buffer texture may have here (GL_MAX_TEXTURE_BUFFER_SIZE; llvmpipe: 2^27)."""
    return int(ctx.info.get("GL_MAX_TEXTURE_BUFFER_SIZE", 1 << 27))


class BufferTexture:
    """`texels` texels of 1 or 4 components ("f4" or "i4") in a GL buffer, zero until written, seen by
    shaders as a buffer texture."""

    def __init__(self, ctx, texels: int, dtype: str = "f4", components: int = 1) -> None:
        self.ctx, self.dtype, self.components = ctx, dtype, components
        self.texels = max(1, int(texels))
        self.buffer = ctx.buffer(reserve=self.nbytes)
        gl = _gl(ctx)
        name = ctypes.c_uint(0)
        gl["glGenTextures"](1, ctypes.byref(name))
        self.name = name.value
        gl["glActiveTexture"](GL_TEXTURE0 + ctx.default_texture_unit)  # the unit moderngl itself works on
        gl["glBindTexture"](GL_TEXTURE_BUFFER, self.name)
        gl["glTexBuffer"](GL_TEXTURE_BUFFER, FORMATS[dtype, components], self.buffer.glo)

    @property
    def nbytes(self) -> int:
        return self.texels * self.components * 4

    @property
    def mglo(self):
        """The buffer's moderngl object (InvalidObject once released)."""
        return self.buffer.mglo

    def write(self, values: np.ndarray | bytes, at: int = 0) -> None:
        """Write `values` (an array of this dtype, or its bytes) from texel `at` on."""
        if not isinstance(values, bytes):
            values = np.ascontiguousarray(values, dtype=self.dtype).tobytes()
        if values:
            self.buffer.write(values, offset=int(at) * self.components * 4)

    def copy_from(self, other: BufferTexture, texels: int) -> None:
        """Copy the first `texels` texels of `other` to the start of this one (GPU to GPU)."""
        if texels > 0:
            self.ctx.copy_buffer(self.buffer, other.buffer, size=int(texels) * self.components * 4)

    def read(self) -> bytes:
        """Every texel, as bytes."""
        return self.buffer.read()

    def use(self, unit: int) -> None:
        """Bind to texture unit `unit` (the shader's layout binding)."""
        gl = _gl(self.ctx)
        gl["glActiveTexture"](GL_TEXTURE0 + unit)
        gl["glBindTexture"](GL_TEXTURE_BUFFER, self.name)

    def release(self) -> None:
        if self.name:
            gl = _gl(self.ctx)
            gl["glDeleteTextures"](1, ctypes.byref(ctypes.c_uint(self.name)))
            self.name = 0
            self.buffer.release()
