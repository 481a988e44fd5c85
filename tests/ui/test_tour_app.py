"""The tour in the headless app: first launch, Space through pauses, scrubbing, the saved place, terms that
light blocks, the user's camera over the tour's, the language."""

from __future__ import annotations

import json

import numpy as np
import pytest

W, H = 1280, 800


def frames(app, fbo, n: int = 2, dt: float = 0.016) -> None:
    for _ in range(n):
        app.frame(fbo, dt=dt)


def same_pose(a, b) -> bool:
    """Poses equal up to the azimuth's turn (the camera keeps it in 0..360)."""
    return (np.allclose(a.target, b.target) and abs((a.azimuth - b.azimuth + 180) % 360 - 180) < 1e-6
            and a.elevation == pytest.approx(b.elevation) and a.distance == pytest.approx(b.distance))


def view_pixels(app, fbo) -> np.ndarray:
    from glviz.render.frame import read_pixels

    return read_pixels(fbo, (0, 0, int(app.viewport[2]), H))


def test_first_launch_opens_chapter_one_and_space_plays_to_the_next_pause(make_app, fbo):
    from glviz.i18n import tr
    from glviz.ui.controls import KEY_SPACE

    app = make_app()
    frames(app, fbo)
    player = app.tour.player
    assert app.tour.touring and player.chapter == 0 and player.t == 0.0 and not player.playing
    assert app.scene.tour is app.tour.frame  # the tour is the scene's base layer
    # It opens on the welcome, waiting for Space (the panel says so under the paragraph).
    welcome, tokens = player.events.pauses[:2]
    assert welcome.start == 0.0 and player.at_pause
    assert app.panel.tour.note == tr("tour.press_space")
    app.key(KEY_SPACE, True)
    assert player.t == welcome.end and player.playing
    frames(app, fbo, 200, dt=0.05)  # 10 s of play: stops at the next pause
    assert player.t == tokens.start and player.at_pause and not player.playing
    app.key(KEY_SPACE, True)
    assert player.t == tokens.end and player.playing
    assert same_pose(app.camera.pose, app.tour.frame.camera) or app.camera.animating


def test_continue_after_reading_a_pause_plays_the_next_section_from_its_start(make_app, fbo):
    """The window draws nothing while the learner reads a pause; the first frame after Space used to play all
    that time at once (three seconds read skipped the three-second flight to the tokens)."""
    import time

    from glviz.ui.controls import KEY_SPACE

    app = make_app()
    frames(app, fbo)
    player = app.tour.player
    welcome = player.events.pauses[0]
    time.sleep(1.0)  # reading the welcome: no frame drawn
    app.key(KEY_SPACE, True)
    app.frame(fbo)  # the window's frame: its time measured
    assert player.playing and welcome.end < player.t < welcome.end + 0.5, player.t - welcome.end
    landed = app.tour.tour.frame(player.chapter, welcome.end + 3.0, "en").camera  # where the flight ends
    assert not same_pose(app.camera.pose, landed)


def test_scrubbing_with_the_playback_controls_gives_the_same_picture(make_app, fbo):
    app = make_app()
    frames(app, fbo)
    app.tour.goto(2)
    duration = app.tour.player.duration
    t1, t2 = 0.57 * duration, 0.2 * duration
    shots = []
    for t in (t1, t2, t1):
        app.tour.seek(t)
        frames(app, fbo, 3)
        shots.append(view_pixels(app, fbo))
    assert np.array_equal(shots[0], shots[2])
    assert not np.array_equal(shots[0], shots[1])


def test_the_place_is_saved_and_restored(make_app, fbo, tmp_path):
    app = make_app()
    frames(app, fbo)
    app.tour.goto(2, 12.5)
    app.cameras.following = False
    app.set_language("ja")
    frames(app, fbo)
    app.release()
    path = tmp_path / "config" / "glviz" / "tour.json"
    saved = json.loads(path.read_text())
    assert saved["chapter"] == "embedding" and saved["lang"] == "ja" and saved["follow_camera"] is False
    again = make_app(lang=None)
    frames(again, fbo)
    from glviz import i18n

    assert again.tour.player.chapter == 2 and i18n.language() == "ja"
    assert again.tour.player.t == pytest.approx(saved["t"]) and not again.cameras.following
    assert again.tour.player.progress(2) > 0


@pytest.mark.parametrize("content", ["{broken", '{"version": 1, "chapter": "embedding", "t": "x"}'])
def test_a_corrupt_state_file_costs_one_message(make_app, fbo, tmp_path, content):
    path = tmp_path / "config" / "glviz" / "tour.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    app = make_app()
    frames(app, fbo)
    assert app.tour.touring and app.tour.player.chapter == 0
    assert sum("saved tour position" in m for m in app.messages) == 1


def test_an_unwritable_state_file_costs_one_message(make_app, fbo, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app = make_app(state_path=blocker / "tour.json")
    frames(app, fbo)
    app.tour.goto(1)
    app.tour.goto(2)
    assert sum("Could not save" in m for m in app.messages) == 1
    assert app.tour.player.chapter == 2


def _term(app, fbo, link_prefix: str):
    frames(app, fbo)
    for x0, y0, x1, y1, link, _ in app.panel.tour.text.links_drawn:
        if link.startswith(link_prefix):
            return ((x0 + x1) / 2, (y0 + y1) / 2), link
    raise AssertionError(f"no term linking {link_prefix}")


def test_a_hovered_term_lights_its_blocks_and_a_click_flies_to_them(make_app, fbo):
    from glviz.ui.controls import LEFT

    app = make_app()
    app.tour.goto(2)  # Embedding: "token embedding table" links wte
    (x, y), link = _term(app, fbo, "block:wte")
    wte = app.scene.layout.by_name["wte"]
    app.mouse_move(x, y)
    frames(app, fbo)
    assert app.scene.highlight[wte] == 1.0 and app.scene.drawn_highlight[wte] == 1.0
    app.mouse_press(x, y, LEFT)
    frames(app, fbo, 1)
    app.mouse_release(x, y, LEFT)
    frames(app, fbo, 30, dt=0.05)
    from glviz.render.camera import block_pose

    target = block_pose(app.scene.layout, wte, aspect=app.aspect, boxes=app.scene.boxes).target
    assert np.allclose(app.camera.pose.target, target, atol=1e-3)
    app.mouse_move(W - 10, H - 10)
    frames(app, fbo)
    assert app.scene.highlight[wte] == 0.0


def test_hovering_a_block_lights_its_terms(make_app, fbo):
    app = make_app()
    app.tour.goto(2)
    frames(app, fbo)
    wte = app.scene.layout.by_name["wte"]
    app.hovering.set((wte, 0, 0))
    frames(app, fbo)
    lit = {link for *_, link, is_lit in app.panel.tour.text.links_drawn if is_lit}
    assert lit and all("wte" in link for link in lit)


def test_dragging_leaves_the_tours_camera_and_continue_brings_it_back(make_app, fbo):
    from glviz.ui.controls import LEFT

    app = make_app()
    frames(app, fbo)
    app.mouse_press(300, 300, LEFT)
    app.mouse_move(360, 330)
    app.mouse_release(360, 330, LEFT)
    assert not app.cameras.following
    moved = app.camera.pose
    app.tour.seek(2.0)
    frames(app, fbo)
    assert app.camera.pose == moved  # the tour's frame changed, the user's camera stayed
    app.tour.continue_()
    frames(app, fbo, 40, dt=0.05)
    assert app.cameras.following and same_pose(app.camera.pose, app.tour.frame.camera)


def test_switching_language_keeps_the_place(make_app, fbo):
    app = make_app()
    frames(app, fbo)
    player = app.tour.player
    app.tour.goto(2)
    events = player.events
    section = 2
    player.seek(events.pauses[section - 1].end + 0.5)
    app.set_language("ja")
    frames(app, fbo)
    new = player.events
    assert player.t == pytest.approx(new.pauses[section - 1].end + 0.5)
    app.set_language("en")
    assert player.t == pytest.approx(events.pauses[section - 1].end + 0.5)


def test_the_scale_chapter_shows_its_own_scene_and_leaving_returns_to_nano(make_app, fbo, gl_ctx):
    app = make_app()
    frames(app, fbo)
    ids = [c.id for c in app.tour.tour.chapters]
    app.tour.goto(ids.index("scale"))
    app.tour.seek(0.7 * app.tour.player.duration)
    frames(app, fbo, 3)
    assert app.view.name == "scale" and app.scene.layout.parts  # nano, GPT-2 and GPT-3 together
    assert app.scene.tour is app.tour.frame and gl_ctx.error == "GL_NO_ERROR"
    assert view_pixels(app, fbo).std() > 3
    app.tour.goto(0)
    frames(app, fbo)
    assert app.view.name == "nano" and app.scene.tour is app.tour.frame
    app.tour.goto(ids.index("scale"))
    frames(app, fbo)
    app.tour.leave()
    frames(app, fbo)
    assert app.view.name == "nano" and app.scene.tour is None and app.model_name == "nano"


def test_the_scale_layout_is_built_after_the_first_frame_at_the_first_idle_moment(make_app, fbo):
    """The Scale chapter's layout thread would take the GIL from the first frame: it starts at the window's
    first idle moment (or once frames keep coming without one), and only for the tour."""
    app = make_app()
    app.frame(fbo, dt=0.016)
    assert app.tour._preparing is None  # not with the first frame
    app.first_idle()
    assert app.tour._preparing is not None
    app.tour._preparing.join(timeout=60)
    exploring = make_app(tour=False)
    exploring.frame(fbo, dt=0.016)
    exploring.first_idle()
    assert exploring.tour._preparing is None  # nothing to prepare outside the tour
    busy = make_app()
    for _ in range(4):
        busy.frame(fbo, dt=0.016)
    assert busy.tour._preparing is not None  # frames without an idle moment: after the first few
    busy.tour._preparing.join(timeout=60)


def test_t_from_explore_into_the_scale_chapter_and_back(make_app, fbo):
    """Left at the Scale chapter, T from free exploring showed the Scale scene while the Explore tab was
    still drawn that frame: the model selector found no 'scale' among its models (ValueError caught by
    the frame, "Something went wrong" in the panel)."""
    from glviz.ui.controls import KEY_T

    app = make_app()
    frames(app, fbo)
    ids = [c.id for c in app.tour.tour.chapters]
    app.tour.goto(ids.index("scale"))
    frames(app, fbo)
    app.key(KEY_T, True)
    app.key(KEY_T, False)
    frames(app, fbo, 3)
    assert not app.tour.touring and app.model_name == "nano"
    app.key(KEY_T, True)
    app.key(KEY_T, False)
    frames(app, fbo, 3)
    assert app.tour.touring and app.view.name == "scale"
    assert app.frame_error is None and not app.messages


def test_the_ends_of_chapters_and_of_the_tour_say_what_comes_next(make_app, fbo):
    """At a chapter's end nothing said that Space goes on to the next chapter; at the tour's end Continue and
    Skip did nothing, and nothing said so or where to go. A line under the text now says it, and at the
    tour's end Continue and Skip are disabled."""
    from glviz.i18n import tr

    app = make_app()
    frames(app, fbo)
    player = app.tour.player
    app.tour.seek(player.duration)
    frames(app, fbo)
    assert not player.playing and app.panel.tour.note == tr("panel.chapter_end")
    app.tour.space()
    frames(app, fbo)
    assert player.chapter == 1
    app.set_language("ja")  # (where the text's easing scroll stopped 2 px short of its goal, for good)
    app.tour.goto(player.chapters - 1)
    for _ in range(len(player.events.pauses) + 1):  # Skip to the end, as a learner would
        app.tour.skip()
        frames(app, fbo)
    assert app.panel.tour.note == tr("panel.tour_end")
    drawn = 0
    while app.needs_frame:  # the text scrolls its note into view, then the window rests
        app.frame(fbo, dt=0.016)
        drawn += 1
        assert drawn < 200, "the panel kept asking for frames (a scroll that never arrived)"
    from checkpoint_helpers import click

    click(app, fbo, app.panel.tour.control_rects["play"])  # disabled: still at the end, not playing
    click(app, fbo, app.panel.tour.control_rects["skip"])
    assert player.chapter == player.chapters - 1 and player.at_end and not player.playing
    app.tour.goto(0)
    frames(app, fbo)
    assert app.panel.tour.note == tr("tour.press_space")  # the tour's end note gone: chapter 1 opens paused


def test_the_tooltip_of_a_cell_the_tour_has_not_computed_yet_says_so(make_app, fbo):
    """The tour draws a cell plain until it computes it; hovering it showed its value with no word why the
    cell has none in the picture. The tooltip adds a line there, and only there."""
    from glviz.ui.sections import overlays

    app = make_app()
    frames(app, fbo)
    app.tour.goto(2)  # Embedding: the input embedding is computed during the chapter
    embed = app.scene.layout.by_name["embed"]
    heights, computed = [], []
    for t in (0.0, app.tour.player.duration):
        app.tour.seek(t)
        app.mouse_move(5, H - 5)  # in the view, over empty space
        frames(app, fbo, 3)
        app.hovering.set((embed, 0, 0))
        frames(app, fbo, 2)
        assert app.hovering.cell == (embed, 0, 0)
        heights.append(overlays.last_rect[3] - overlays.last_rect[1])
        computed.append(app.scene.tour_computed(embed, 0, 0))
    assert computed == [False, True]  # plain at the chapter's start, computed at its end
    assert heights[0] > heights[1] + 10  # the tooltip's line that says so, at the start only


def test_a_click_on_explore_handed_over_with_its_move_switches_within_the_frames_the_app_draws(make_app, fbo):
    """A click that comes with its move before the next frame (xdotool, a tap on a touch screen): imgui read
    the move and the press in one frame, and a tab takes a press only under the pointer of the frame before.
    The Explore tab lit up and the tour stayed; the press now waits a frame for its move."""
    from glviz.ui.controls import LEFT

    app = make_app()
    frames(app, fbo, 3)
    assert app.tour.touring
    x0, y0, x1, y1 = app.panel.tab_rects["explore"]
    x, y = (x0 + x1) / 2, (y0 + y1) / 2
    app.mouse_move(x, y)  # one poll's events, then the window's loop: draw while a frame is needed
    app.mouse_press(x, y, LEFT)
    app.mouse_release(x, y, LEFT)
    drawn = 0
    while app.needs_frame and drawn < 30:
        app.frame(fbo, dt=0.016)
        drawn += 1
    assert not app.tour.touring, f"still in the tour after the {drawn} frames the app asked for"
