"""The chapters' Markdown, their text files and the saved tour state."""

from __future__ import annotations

import json

from glviz.walkthrough.markdown import Run, block_targets, parse, plain
from glviz.walkthrough.state import TourState, load_state, save_state, state_path
from glviz.walkthrough.text import fill, parse_chapter


def test_markdown_runs_links_lists_and_widgets():
    text = "The **token [embedding](block:wte,wpe)** is *learned*.\n\n- one `x`\n- two\n@widget loss"
    blocks = parse(text)
    assert [b.kind for b in blocks] == ["p", "li", "li", "widget"]
    link = Run("embedding", True, link="block:wte,wpe")
    learned = Run("learned", italic=True)
    assert blocks[0].runs == [Run("The "), Run("token ", bold=True), link, Run(" is "), learned, Run(".")]
    assert blocks[1].runs == [Run("one "), Run("x", code=True)]
    assert blocks[3].widget == "loss"
    assert block_targets("block:wte, layers.0.attn.h*.q") == ["wte", "layers.0.attn.h*.q"]
    assert block_targets("https://example.org") == []
    assert plain("**A** [b](block:x)\n\n@widget w") == "A b"


def test_japanese_lines_join_without_a_space():
    (block,) = parse("トークンは\n埋め込みに変わる。\nThen English\nwords.")
    assert "".join(r.text for r in block.runs) == "トークンは埋め込みに変わる。 Then English words."


def test_chapter_files_have_a_title_and_keyed_paragraphs():
    text = parse_chapter("# Embedding\n\n## intro\nHello {t}.\n\n## next\n- a\n- b\n", "x.md")
    assert text.title == "Embedding" and list(text.paragraphs) == ["intro", "next"]
    assert fill(text.paragraphs["intro"], {"t": "3"}) == "Hello 3."
    assert fill("{unknown} {t}", {"t": "1"}) == "{unknown} 1"
    for bad in ("## intro\nno title", "# T\nstray text\n## a\n", "# T\n## a\n## a\n"):
        try:
            parse_chapter(bad, "bad.md")
        except ValueError:
            continue
        raise AssertionError(bad)


def test_state_round_trip_and_every_bad_file(tmp_path):
    path = tmp_path / "glviz" / "tour.json"
    assert load_state(path) == (None, None)  # first launch: no file, no message
    state = TourState(chapter="embedding", t=3.5, lang="ja", follow_camera=False, touring=True,
                      furthest={"overview": 40.0})
    assert save_state(path, state) is None
    assert load_state(path) == (state, None)
    for content in ("{not json", json.dumps({"version": 99}), json.dumps([1, 2]),
                    json.dumps({"version": 1, "t": "soon"}), json.dumps({"version": 1, "t": -1})):
        path.write_text(content)
        loaded, message = load_state(path)
        assert loaded is None and message and str(path) in message, content
    path.write_bytes(b"\xff\xfe\x00")  # not text
    assert load_state(path)[0] is None and load_state(path)[1]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    message = save_state(blocker / "tour.json", state)  # its folder is a file: cannot be written
    assert message and "tour.json" in message


def test_the_state_lives_in_the_config_folder(tmp_path):
    assert state_path({"XDG_CONFIG_HOME": "/c"}) == __import__("pathlib").Path("/c/glviz/tour.json")
    assert state_path({}, tmp_path) == tmp_path / ".config" / "glviz" / "tour.json"
