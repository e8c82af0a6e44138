"""NumPy helpers the passes share (small enough to be no module's own)."""
from __future__ import annotations

import numpy as np


def member(col: np.ndarray, values) -> np.ndarray:
    """col's elements that are among ``values`` (small non-negative integers: relocation
    types, kinds, ids), as a mask.  Not np.isin: it would import numpy.ma (15 ms on every
    link), and its own set-up is ~80,000 instructions a call, as much as the rest of a small
    link's relaxation decisions on a table of a few rows."""
    values = list(values)
    if len(col) == 0 or not values:
        return np.zeros(len(col), dtype=bool)
    # the table is as large as the values asked about, never as the column's largest element
    # (a relocation type of 2^31 from a corrupt object would size it): past it, False
    if col.dtype.itemsize == 1 and min(values) >= 0:      # (kinds: a byte, no clamp)
        table = np.zeros(256, dtype=bool)
        table[[v for v in values if v < 256]] = True
        return table.take(col.view(np.uint8))
    top = max(values) + 2
    table = np.zeros(top, dtype=bool)
    table[values] = True
    # (np.take, not indexing: half the instructions an element on riscv64's relocation types,
    # 1.3 M rows at 400x50; for an unsigned column its clip is np.minimum's clamp, made inside)
    if col.dtype.kind == "u" and col.dtype.itemsize < 8:
        return table.take(col, mode="clip")
    # (a uint64 element of 2^63 or more would be a negative index to np.take, clipped to 0;
    # a negative element of a signed column would count from the end: both made top - 1,
    # which is never among the values)
    return table.take(col.clip(-1, top - 1) if col.dtype.kind == "i" else np.minimum(col, top - 1))


def distinct_first_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(a, return_index=True, return_inverse=True)`` of a 1-D array: the sorted
    distinct values, where each first occurs, and each element's place among them.  A stable
    sort and a few operations (np.unique's set-up is ~30 us, on a small link's few rows)."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    head = np.ones(len(s), dtype=bool)
    np.not_equal(s[1:], s[:-1], out=head[1:])
    inverse = np.empty(len(s), dtype=np.intp)
    inverse[order] = np.cumsum(head) - 1
    return s[head], order[head], inverse
