"""Video files from frames: MP4 through PyAV (FFmpeg's libraries) and GIF through Pillow, written as the
frames come (a recording of the whole tour never holds its frames in memory), encoded on a worker thread
so that rendering the next frame and encoding this one overlap."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np

from glviz.errors import GlvizError

FORMATS = (".mp4", ".gif")
MP4_EXTRA = "pip install 'glviz[video]'  (it installs PyAV)"


def require_writer(path: Path) -> None:
    """GlvizError when the writer for `path`'s format is not installed (checked before any work)."""
    if path.suffix.lower() == ".mp4":
        try:
            import av  # noqa: F401
        except ImportError:
            raise GlvizError("error.video.pyav", extra=MP4_EXTRA, path=path) from None


class _Encoder:
    """The format's encoding, called on the worker thread."""

    def write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Mp4(_Encoder):
    def __init__(self, path: Path, size: tuple[int, int], fps: int) -> None:
        import av

        self.container = av.open(str(path), mode="w")
        self.stream = self.container.add_stream("libx264", rate=fps)
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        # Fast to write (a tour is thousands of frames) and small enough: cells are flat colours.
        self.stream.options = {"preset": "veryfast", "crf": "20"}

    def write(self, frame: np.ndarray) -> None:
        import av

        for packet in self.stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


class _Gif(_Encoder):
    """An animated GIF written frame by frame: each frame quantised on its own (FASTOCTREE), with its own
    colour table, looping forever."""

    def __init__(self, path: Path, fps: int) -> None:
        self.fp = open(path, "wb")
        self.duration = round(1000 / fps)
        self.first = True

    def write(self, frame: np.ndarray) -> None:
        from PIL import GifImagePlugin, Image

        image = Image.fromarray(frame).quantize(colors=256, method=Image.Quantize.FASTOCTREE)
        if self.first:
            header, _ = GifImagePlugin.getheader(image, None, {"loop": 0, "duration": self.duration})
            self.fp.writelines(header)
            self.first = False
        self.fp.writelines(GifImagePlugin.getdata(image, (0, 0), duration=self.duration,
                                                  include_color_table=True))

    def close(self) -> None:
        self.fp.write(b";")
        self.fp.close()


class VideoWriter:
    """Frames (h, w, 3) uint8 in, a video file out; `close()` waits for the encoder and finishes the file."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int) -> None:
        path = Path(path)
        self.frames = 0
        self._error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        encoder = _Mp4(path, size, fps) if path.suffix.lower() == ".mp4" else _Gif(path, fps)
        self._thread = threading.Thread(target=self._work, args=(encoder,), daemon=True)
        self._thread.start()

    def _work(self, encoder: _Encoder) -> None:
        frame = None
        try:
            while (frame := self._queue.get()) is not None:
                encoder.write(frame)
            encoder.close()
        except BaseException as exc:  # reported on the caller's thread by write() or close()
            self._error = exc
            while frame is not None:  # drain up to close()'s None, so that the caller never blocks (when
                frame = self._queue.get()  # encoder.close() failed, that None is already taken)

    def write(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
