"""The logit lens: for a chosen position, the top 3 tokens read out of the residual stream after the
embedding and after every layer (final layer norm and LM head applied: model/logit_lens.py)."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.formatting import percent
from glviz.i18n import tr
from glviz.model.logit_lens import lens_sources, logit_lens
from glviz.ui.sections.attention import token_labels
from glviz.ui.style import dim, fitted, header, item_rect

TOP = 3
STAGE_WIDTH = 70.0  # the table's first column: embedding, layer 0, ...
TOKEN_WIDTH = 90.0  # a token column: '#50256 0.3%', or a token's text (cut to fit) and its chance


class LogitLensSection:
    """The section, its position and the rows for it (computed when the trace or position changes)."""

    def __init__(self) -> None:
        self.position: int | None = None  # None: the last position
        self._rows: tuple | None = None  # (snapshot, position, rows)
        self.header: tuple[float, float, float, float] | None = None  # where drawn (tests)
        self.drawn: list = []  # the rows drawn last
        self.cell_rects: list[list[tuple[float, float, float, float]]] = []  # each row's token cells (tests)
        self.cell_texts: list[list[str]] = []  # and their text (tests)
        self.tooltip = ""  # the hovered cell's: its token whole, with its id (tests)
        self.explanation = ""  # the line above the table (tests)

    def rows(self, view):
        """The lens rows of the chosen position, from the trace's published values; None while missing."""
        snapshot = view.trace.snapshot()
        T = snapshot.T
        t = T - 1 if self.position is None else min(self.position, T - 1)
        cached = self._rows
        if cached is None or cached[0] is not snapshot or cached[1] != t:  # a new snapshot: new values
            if not all(snapshot.computed(n) for n in lens_sources(view.config.n_layer)):
                return t, None
            self._rows = cached = (snapshot, t, logit_lens(view.weights, snapshot, t, TOP))
        return t, cached[2]

    def draw(self, app) -> None:
        view = app.view
        if view.trace is None or view.weights is None:
            return
        opened = header("lens.header")
        self.header = item_rect()
        if not opened:
            return
        T = view.trace.T
        t, rows = self.rows(view)
        imgui.set_next_item_width(160)
        changed, chosen = imgui.slider_int(tr("lens.position"), t, 0, T - 1)
        if changed:
            self.position = None if chosen == T - 1 else chosen
        (word,) = token_labels(app, view, t, t + 1, cut=False)  # which token the position holds
        self.explanation = tr("lens.explain", t=t, token=word)
        dim(self.explanation)
        if rows is None:
            dim(tr("attention.computing"))
            return
        flags = imgui.TableFlags_.borders_inner_h | imgui.TableFlags_.sizing_stretch_prop
        # As many of the top tokens as their columns show whole (a narrow window's panel cut all three).
        top = max(1, min(TOP, int((imgui.get_content_region_avail().x - STAGE_WIDTH) // TOKEN_WIDTH)))
        if imgui.begin_table("##lens", 1 + top, flags):
            imgui.table_setup_column(tr("lens.after"), imgui.TableColumnFlags_.width_fixed, STAGE_WIDTH)
            for k in range(top):
                imgui.table_setup_column(f"#{k + 1}")
            imgui.table_headers_row()
            self.drawn = rows
            self.cell_rects, self.cell_texts = [], []
            self.tooltip = ""
            for row in rows:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text(tr("lens.embedding") if row.stage == "embed" else tr("lens.layer", i=row.stage))
                cells, texts = [], []
                for token, p in zip(row.ids.tolist()[:top], row.probs.tolist()[:top], strict=True):
                    imgui.table_next_column()
                    # A percentage as the candidates show it (with two decimals, 0.3% read 0.00)
                    chance = percent(p)
                    texts.append(f"{_label(app, view, token, chance)} {chance}")
                    imgui.text(texts[-1])
                    cells.append(item_rect())
                    if imgui.is_item_hovered():  # the column cuts a long token: here it is whole
                        self.tooltip = tr("lens.cell", token=app.prompt.shown_with_id(view, token), p=chance)
                        imgui.set_tooltip(self.tooltip)
                self.cell_rects.append(cells)
                self.cell_texts.append(texts)
            imgui.end_table()


def _label(app, view, token: int, chance: str) -> str:
    """A token cut to what a column of TOKEN_WIDTH shows beside its chance (and the cell's padding)."""
    room = TOKEN_WIDTH - 2 * imgui.get_style().cell_padding.x - imgui.calc_text_size(f" {chance}").x
    return fitted(app.prompt.shown(view, token), room)
