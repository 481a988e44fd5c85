"""A checkpoint whose files the user may not read ends in one `glviz: error:` line saying so, not a
traceback, nor "No such file or directory" of a file that is there (safetensors' words for it)."""

from __future__ import annotations

import pytest

from glviz.cli import main
from glviz.errors import GlvizError
from glviz.model.weights import load_weights
from permissions import as_a_user, open_folder  # tests/

from .helpers import TINY, varied_weights, write_checkpoint
from .test_bad_checkpoints import _error_line


@pytest.mark.parametrize("name", ["model.safetensors", "config.json"])
def test_a_file_the_user_may_not_read_is_one_line_saying_so(capsys, name):
    with open_folder() as root:
        folder = write_checkpoint(root / "ckpt", varied_weights(TINY), tokenizer=None)
        argv = ["generate", "--weights", str(folder), "--tokens", "1,2"]
        main(argv)  # readable: it runs (and imports what it needs while the interpreter's files may be read)
        capsys.readouterr()
        (folder / name).chmod(0o600)
        with as_a_user():
            with pytest.raises(GlvizError) as caught:
                load_weights(folder)
            line = _error_line(capsys, argv)
    assert caught.value.key == "error.weights.unreadable"
    assert "Permission denied" in line and str(folder / name) in line, line
    assert "No such file" not in line
