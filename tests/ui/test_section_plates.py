"""The plates naming the hovered cell's sections in the 3D view never cover each other."""

from glviz.ui.sections.overlays import apart


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_a_plate_over_the_one_before_moves_right_of_it_keeping_its_size():
    layer, head = (197, 228, 290, 250), (266, 232, 322, 254)  # as hovering a head in the overview showed
    placed = apart([layer, head])
    assert placed[0] == layer
    assert placed[1] == (294, 232, 350, 254)  # 4 px right of the layer's plate, as wide, as high
    assert not _overlap(*placed)


def test_plates_apart_or_in_other_rows_stay_where_they_are():
    boxes = [(0, 0, 50, 20), (60, 0, 90, 20), (10, 30, 60, 50)]
    assert apart(boxes) == boxes


def test_three_plates_in_one_place_line_up_in_order():
    placed = apart([(100, 10, 140, 30)] * 3)
    assert [box[0] for box in placed] == [100, 144, 188]
    assert all(not _overlap(a, b) for i, a in enumerate(placed) for b in placed[i + 1:])


def test_a_plate_pushed_into_a_third_moves_past_that_one_too():
    placed = apart([(0, 0, 40, 20), (100, 0, 140, 20), (20, 0, 80, 20)])
    assert placed[2] == (144, 0, 204, 20)  # past the first, then past the second it then covered
