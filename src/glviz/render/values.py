"""Cell values on the GPU in two stores, at levels of detail, streamed by what the camera sees.

- weights: a model's weight blocks, read once per model (from the arrays the Weights hold: nothing is
  copied whole) and kept when the layout is rebuilt for another token count;
- activations: a trace's blocks; `trace_grew` writes only the positions `trace.changed_since` names.
Every block keeps coarse levels resident (render/value_store.py); the full cells of big blocks live in a
pool of pages (render/value_pool.py) filled each frame with the pages the camera wants (render/streaming.py)
within an upload budget per frame and a memory budget, least recently wanted pages given back first.
shaders/values.glsl reads the finest level present whose cells are not much smaller than a pixel.
"""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Kind, Layout
from glviz.render.streaming import LEVEL0_PX, PagedBlocks, wanted_pages
from glviz.render.value_growth import grow, grow_slots
from glviz.render.value_info import BlockValues, SlotTable
from glviz.render.value_pool import LAYER_PAGES, PagePool, RunTexture
from glviz.render.value_sources import ArraySource, TraceSource, WeightSource
from glviz.render.value_store import PAGE, Slot, ValueStore, value_scale

VALUE_BUDGET_BYTES = 512 << 20  # GPU memory for values: resident texture, page table and pool together
UPLOAD_TEXELS = 2 << 20  # pool texels uploaded per frame at most (8 MB: a few ms on software GL)
WEIGHTS, ACTIVATIONS = 0, 1
OWNER_SHIFT = 40  # a pool page's owner: store << OWNER_SHIFT | page-table index in the store
LOOK_EVERY = 4  # while the view keeps changing and nothing is missing, the wanted pages are looked for
# again every few frames (GPT-2's overview: 2.3 ms a look), and at once when the view stops

__all__ = ["BlockValues", "ValueLevels", "VALUE_BUDGET_BYTES", "UPLOAD_TEXELS", "LEVEL0_PX", "value_scale"]


def prepare_weight_store(layout: Layout, weights) -> ValueStore:
    """The CPU side of set_weights(weights) for `layout` (no GL: a loading thread makes it, so that the
    window keeps drawing; ValueLevels.adopt uploads it)."""
    store = ValueStore(WeightSource(weights))
    grow_slots(store, [(slot, 0, slot.n) for slot in store.add([b for b in layout.blocks
                                                                   if b.kind == Kind.WEIGHT])])
    return store


def prepare_trace_store(layout: Layout, trace, snapshot=None) -> ValueStore:
    """The CPU side of set_trace(trace, snapshot=snapshot) for `layout` (no GL; see prepare_weight_store)."""
    store = ValueStore(TraceSource(trace, False, trace if snapshot is None else snapshot))
    grow_slots(store, [(slot, 0, slot.n) for slot in store.add([b for b in layout.blocks
                                                                   if b.kind != Kind.WEIGHT])])
    return store


class ValueLevels:
    """The two stores of one FrameRenderer, their textures and the pool; `stream` once a frame."""

    def __init__(self, ctx, budget_bytes: int = VALUE_BUDGET_BYTES,
                 upload_texels: int = UPLOAD_TEXELS) -> None:
        self.ctx = ctx
        self.budget_bytes = int(budget_bytes)
        self.upload_texels = int(upload_texels)
        self.stores: list[ValueStore | None] = [None, None]
        self.table = RunTexture(ctx, "i4")  # the page tables
        self.pool = PagePool(ctx, 0)  # the values texture: resident runs, then the pool's pages
        self.layout: Layout | None = None
        self.info = BlockValues.empty(0)
        self.version = 0  # rises whenever `info` changes (the block renderer rewrites its textures)
        self._packed = (-1, -1)
        self._weights = None
        self._trace_version = -1
        self._evaluation = 0
        self._last_view = None  # the view of the last look for wanted pages
        self._frame_view = None  # the view of the last frame
        self._frames_since_look = 0
        self._has_pages = False  # some block of the layout has pages (_info)
        self._wanted: tuple[np.ndarray, np.ndarray] | None = None
        self._tables: list[SlotTable | None] = [None, None]  # per store, its slots as arrays
        self._names = None  # the layout's block names (hashed): a layout rebuilt for more tokens has the same

    # --- what is shown -------------------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Show a layout: blocks keep the values their name has in the stores (a layout rebuilt for more
        tokens keeps every weight and every position uploaded so far)."""
        names = hash(tuple(b.name for b in layout.blocks))
        room = min((store.room for store in self.stores if store is not None), default=1 << 30)
        same = names == self._names and layout.n_tokens <= room
        self.layout, self._names = layout, names
        self._last_view = None
        if same:  # the same blocks, with room for its tokens: only where they are changes
            if any(s is not None and s.changed for s in self.stores):
                self._sync()  # (else `info` stands as it is: it depends on the blocks' names, not places)
        else:
            self._bind()

    def set_weights(self, weights) -> None:
        """The model's weights (uploaded once: the same object again changes nothing)."""
        if weights is self._weights and self.stores[WEIGHTS] is not None:
            return
        self._weights = weights
        self._replace(WEIGHTS, ValueStore(WeightSource(weights)) if weights is not None else None)

    def adopt(self, weights, stores: tuple[ValueStore, ValueStore], snapshot=None) -> None:
        """Show stores made for this layout by prepare_weight_store and prepare_trace_store (`weights`, and
        the trace `snapshot` belongs to)."""
        owners = self.pool.owner
        owners[owners >= 0] = -1
        self._weights = weights
        self._trace_version = int(getattr(snapshot, "version", stores[ACTIVATIONS].source.version()))
        self.stores = list(stores)
        self._bind()

    def set_trace(self, trace, compute: bool = False, snapshot=None) -> None:
        """A new trace's activations (every position); `compute` asks the trace for values it has not
        computed (else they are read when published: see trace_grew). `snapshot` (of `trace`): read that
        instant's values instead of the latest."""
        view = trace if snapshot is None else snapshot
        self._trace_version = int(getattr(view, "version", 0))
        source = TraceSource(trace, compute, view) if trace is not None else None
        self._replace(ACTIVATIONS, ValueStore(source) if source is not None else None)

    def trace_grew(self, trace, snapshot=None) -> None:
        """Upload only what changed in the trace since it was last seen (`changed_since`): the new positions
        of each value, and values computed since; and values that had none and are there now (a dropped
        value computed again changes no version). Another trace than the one shown is set whole.
        `snapshot` (of `trace`, from another thread's worker): grow to that instant, not to the latest."""
        store = self.stores[ACTIVATIONS]
        if store is None or getattr(store.source, "trace", None) is not trace:
            self.set_trace(trace, snapshot=snapshot)
            return
        if snapshot is None:
            changed = trace.changed_since(self._trace_version)
            self._trace_version = int(trace.version)
        else:
            store.source.view = snapshot
            changed = trace.changed_since(self._trace_version, upto=snapshot.version)
            self._trace_version = int(snapshot.version)
        grow(store, changed)
        # Values that had none, or not every position (dropped by the trace before the later ones were read),
        # and are there now: read from where they stopped.
        T = _positions_of(store)
        grow_slots(store, [(slot, slot.n, 1 << 30) for slot in store.slots.values()
                           if slot.axis is not None and _incomplete(slot, T)])
        self._sync()

    def missing(self) -> list[str]:
        """Trace names whose blocks show no values, or not at every position the layout shows (not computed
        yet, or dropped by the trace before they were read: a long generation lets attention go while it
        grows): computing them (`trace[name]`, in the worker) and calling trace_grew shows them."""
        store = self.stores[ACTIVATIONS]
        if store is None or not isinstance(store.source, TraceSource):
            return []
        T = _positions_of(store)
        names = {name for slot in store.slots.values() if _incomplete(slot, T)
                 for name in slot.block.sources}
        return sorted(names)

    def set_arrays(self, arrays: dict[int, np.ndarray]) -> None:
        """Show exactly these (rows, cols) values by block index (nothing else: no weights, no trace)."""
        blocks = self.layout.blocks
        named = {blocks[i].name: np.asarray(a) for i, a in arrays.items()}
        self._weights = None
        self._replace(WEIGHTS, None)
        self._replace(ACTIVATIONS, ValueStore(ArraySource(named)))

    def set_budget(self, memory_bytes: int | None = None, upload_texels: int | None = None) -> None:
        """GPU memory for values in all (the pool gets what the resident texture and page table leave),
        and pool texels uploaded per frame."""
        if memory_bytes is not None:
            self.budget_bytes = int(memory_bytes)
            self.pool.max_pages = max(0, (self.budget_bytes - self.fixed_bytes()) // (PAGE * 4))
        if upload_texels is not None:
            self.upload_texels = int(upload_texels)

    def fixed_bytes(self) -> int:
        """Bytes of the resident layers and the page table (what is not pool)."""
        table = self.table.texture.nbytes if self.table.texture else 0
        return self.pool.resident_layers * LAYER_PAGES * PAGE * 4 + table

    @property
    def texels(self) -> int:
        """Values on the GPU: resident cells and coarse levels, and pool pages in use."""
        return sum(len(s.data) for s in self.stores if s is not None) + self.pool.used * PAGE

    # --- internals -----------------------------------------------------------------------------------------
    def _replace(self, which: int, store: ValueStore | None) -> None:
        owners = self.pool.owner
        mine = (owners >= 0) & ((owners >> OWNER_SHIFT) == which)
        owners[mine] = -1
        self.stores[which] = store
        self._bind()

    def _bind(self) -> None:
        """Slots for the layout's blocks in their stores (reading what they have), then the textures."""
        if self.layout is None:
            return
        for which, store in enumerate(self.stores):
            if store is None:
                continue
            mine = [b for b in self.layout.blocks if (b.kind == Kind.WEIGHT) == (which == WEIGHTS)
                    or isinstance(store.source, ArraySource)]
            grow_slots(store, [(slot, 0, slot.n) for slot in store.add(mine)])
        self._sync()

    def _sync(self) -> None:
        """Carry re-packs over to the pool, upload what the stores changed, rebuild the per-block info."""
        stores = [s if s is not None else ValueStore(None) for s in self.stores]
        for which, store in enumerate(stores):
            if store.remap is not None:
                self._remap(which, store.remap)
                store.remap = None
            for local, offset, values in store.pool_writes:
                page = store.table[local]
                if page >= 0:
                    self.pool.write_at(int(page), offset, values)
            store.pool_writes.clear()
        bases, dropped = self.pool.set_resident([s.data for s in stores], [s.dirty for s in stores])
        if dropped:  # the resident runs took more layers: the pool starts again
            for store in stores:
                store.table[:] = -1
                store.table_dirty = [(0, len(store.table))]
        table_bases = self.table.sync([s.table for s in stores], [s.table_dirty for s in stores])
        for store in stores:
            store.dirty, store.table_dirty = [], []
        self.pool.max_pages = max(0, (self.budget_bytes - self.fixed_bytes()) // (PAGE * 4))
        self._info(stores, bases, table_bases)

    def _remap(self, which: int, remap: np.ndarray) -> None:
        """A store re-packed: its pool pages follow their pages to the new page-table places."""
        owners = self.pool.owner
        mine = np.flatnonzero((owners >= 0) & ((owners >> OWNER_SHIFT) == which))
        local = owners[mine] & ((1 << OWNER_SHIFT) - 1)
        moved = np.where(local < len(remap), remap[np.minimum(local, len(remap) - 1)], -1)
        owners[mine] = np.where(moved >= 0, (which << OWNER_SHIFT) | moved, -1)

    def _info(self, stores, bases, table_bases) -> None:
        n = len(self.layout.blocks)
        info = BlockValues.empty(n)
        self._slots = np.empty(n, dtype=object)  # per block its Slot, or None
        self._store_of = np.full(n, -1, np.int64)
        self._local_pages = np.full(n, -1, np.int64)
        for which, store in enumerate(stores):
            where = (self._names, self.layout, store, bases[which], table_bases[which])
            table = self._tables[which]
            if table is None or table.key != SlotTable.key_of(*where):
                table = self._tables[which] = SlotTable(*where)
            table.fill(info, self._slots, self._store_of, self._local_pages, which)
        self.info = info
        self._paged = PagedBlocks(self._local_pages, self._store_of, info.order, info.cells)
        self._has_pages = bool((self._local_pages >= 0).any())  # asked every frame: once here
        self.version += 1
        self._last_view = None

    # --- streaming -----------------------------------------------------------------------------------------
    def stream(self, blocks, view_projection: np.ndarray, pixel_scale: float,
               budget_texels: int | None = None, look_now: bool = False) -> int:
        """Upload pool pages the camera wants among `blocks` (those of the visible chunks: an array, or a
        callable giving it, called only when the wanted set is evaluated), at most `budget_texels` (default:
        the per-frame budget); returns the pages still missing. The wanted set is evaluated again only when
        the view or the values changed, and nothing is done while everything wanted is there. While the
        view keeps moving with nothing missing, it is evaluated every LOOK_EVERY frames (the cells coming
        into sight show their tiles' values until then), and on the first frame the view holds still;
        `look_now` evaluates it whatever the motion."""
        if self.layout is None or not self._has_pages:
            return 0
        view = (np.asarray(view_projection, np.float32).tobytes(), float(pixel_scale), self.version)
        moving, self._frame_view = view != self._frame_view, view
        self._frames_since_look += 1
        if view == self._last_view and self._all_in:
            return 0  # nothing wanted is missing: no per-frame work
        if view != self._last_view or self._wanted is None:
            same_values = self._last_view is not None and self._last_view[2] == self.version
            soon = self._frames_since_look < LOOK_EVERY
            if moving and same_values and soon and self._all_in and not look_now:
                return 0  # in motion, with all that the last look wanted there: look again soon
            self._frames_since_look = 0
            self._evaluation += 1
            self._last_view = view
            candidates = blocks() if callable(blocks) else blocks
            block, page, _ = wanted_pages(candidates, self._paged, self.layout.mins, self.layout.maxs,
                                          self.layout.shapes, view_projection, pixel_scale)
            present = self._table_lookup(self._store_of[block], self._local_pages[block] + page)
            rows = present[present >= 0] - self.pool.first_row
            self.pool.stamp[rows] = self._evaluation  # wanted again: given back last
            self._wanted = (block[present < 0], page[present < 0])
        block, page = self._wanted
        if not len(block):
            return 0
        budget = (self.upload_texels if budget_texels is None else budget_texels) // PAGE
        todo = max(budget, 1)
        uploaded = self._upload(block[:todo], page[:todo])
        self._wanted = (block[uploaded:], page[uploaded:]) if uploaded == min(todo, len(block)) else \
            (block[:0], page[:0])  # the budget is full of pages wanted now: the rest waits for a new view
        return int(len(self._wanted[0]))

    @property
    def pending(self) -> bool:
        """Whether the next frame would stream: pages the last look wanted are missing, or the view has
        changed since the last look (a moving view's looks are spaced out). A window that draws only when
        something changes draws on while this holds, so a view left still gets all its pages."""
        if self.layout is None or not self._has_pages:
            return False
        owed = self._frame_view is not None and self._frame_view != self._last_view
        return owed or (self._wanted is not None and not self._all_in)

    @property
    def _all_in(self) -> bool:
        """Whether the last look was made and every page it wanted is in the pool."""
        return self._wanted is not None and not len(self._wanted[0])

    def _table_lookup(self, store_of: np.ndarray, local: np.ndarray) -> np.ndarray:
        out = np.full(len(local), -1, np.int64)
        for which, store in enumerate(self.stores):
            if store is not None:
                mine = store_of == which
                out[mine] = store.table[local[mine]]
        return out

    def _upload(self, block: np.ndarray, page: np.ndarray) -> int:
        """Read pages (block, page) from their sources into pool pages; returns how many found room."""
        store_of, local = self._store_of[block], self._local_pages[block] + page
        pages, evicted = self.pool.take(len(block), protect=self._evaluation)
        n = len(pages)
        for owner in evicted[evicted >= 0]:
            store = self.stores[int(owner >> OWNER_SHIFT)]
            if store is not None:
                index = int(owner & ((1 << OWNER_SHIFT) - 1))
                store.table[index] = -1
                store.table_dirty.append((index, index + 1))
        block, page, store_of, local = block[:n], page[:n], store_of[:n], local[:n]
        self.pool.owner[pages] = (store_of << OWNER_SHIFT) | local
        self.pool.stamp[pages] = self._evaluation
        by_page = np.lexsort((page, block))
        block, page, local, pages = block[by_page], page[by_page], local[by_page], pages[by_page]
        # Runs of consecutive pages of one block are read from their source in one go.
        breaks = np.flatnonzero((np.diff(block) != 0) | (np.diff(page) != 1)) + 1
        for run in np.split(np.arange(len(block)), breaks):
            b = int(block[run[0]])
            slot, store = self._slots[b], self.stores[self._store_of[b]]
            data = store.page_values(slot, int(page[run[0]]), len(run))
            if data is None:  # not there now: the pages stay free, the block shows its tiles
                self.pool.owner[pages[run]] = -1
                continue
            self.pool.write_pages(pages[run], data)
            store.table[local[run]] = pages[run] + self.pool.first_row
            store.table_dirty.append((int(local[run[0]]), int(local[run[-1]]) + 1))
        stores = [s if s is not None else ValueStore(None) for s in self.stores]
        self.table.sync([s.table for s in stores], [s.table_dirty for s in stores])
        for store in stores:
            store.table_dirty = []
        return n

    def settle(self, blocks, view_projection: np.ndarray, pixel_scale: float) -> None:
        """Stream all that the camera wants and the budget holds (a single picture: `glviz render`)."""
        while self.stream(blocks, view_projection, pixel_scale, budget_texels=1 << 24, look_now=True):
            pass

    def bind(self, values_unit: int, table_unit: int) -> None:
        """Bind the textures the shaders read (values.glsl)."""
        if self.pool.texture is None:
            self.pool.set_resident([np.zeros(0, np.float32)], [[]])
        if self.table.texture is None:
            self.table.sync([np.zeros(0, np.int32)], [[]])
        self.pool.texture.use(values_unit)
        self.table.texture.use(table_unit)

    def release(self) -> None:
        self.table.release()
        self.pool.release()
        self.stores = [None, None]


def _positions_of(store: ValueStore) -> int:
    """The positions of the trace (or the snapshot of it) that an activation store shows."""
    return int(getattr(store.source.view, "T", 0))


def _incomplete(slot: Slot, T: int) -> bool:
    """Whether a block of the trace shows no values, or fewer of its T positions than there are."""
    return not slot.inv_scale or (slot.axis is not None and slot.n < T)
