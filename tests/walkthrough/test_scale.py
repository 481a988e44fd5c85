"""Chapter 12, Scale: the models' facts it quotes are their configurations' and the GPT-3 layout's own, not
numbers written into the text."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from glviz.model.config import PRESETS
from glviz.walkthrough.chapters.scale import values
from glviz.walkthrough.stages import nano_stage


@pytest.fixture(scope="module")
def quoted() -> dict[str, str]:
    return values(nano_stage("CBABBC"))


def test_the_vocabulary_and_sizes_are_the_configurations(quoted):
    gpt2, gpt3 = PRESETS["gpt2"], PRESETS["gpt3"]
    assert quoted["gpt2_vocab"] == "50,257" == f"{gpt2.vocab_size:,}"
    assert (quoted["gpt3_layers"], quoted["gpt3_heads"], quoted["gpt3_C"]) == ("96", "96", "12,288")
    assert quoted["gpt3_context"] == f"{gpt3.block_size:,}"


def test_gpt3s_columns_of_layers_are_those_the_layout_draws(quoted):
    from glviz.layout.build import build_layout

    layout = build_layout(PRESETS["gpt3"])
    column_of_layer = {int(b.name.split(".")[1]): round(float(layout.mins[b.index, 0]))
                       for b in layout.blocks if b.name.startswith("layers.") and b.name.endswith(".ln1.out")}
    sizes = collections.Counter(column_of_layer.values())
    assert quoted["gpt3_columns"] == str(len(sizes)) == "8"
    assert quoted["layers_per_column"] == str(max(sizes.values())) == "12"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_text_quotes_them_and_no_number_of_its_own(lang):
    import glviz.walkthrough

    text = (Path(glviz.walkthrough.__file__).parent / "text" / lang / "scale.md").read_text(encoding="utf-8")
    assert all(key in text for key in ("{gpt2_vocab}", "{gpt3_columns}", "{layers_per_column}"))
    assert "50,257" not in text and "12 layers" not in text and "8 列" not in text
