"""Pages stacked as rows: the body model judges a batch of pages in a few dozen array steps.

Judging page by page cost numpy's per-call overhead (~2 µs a call, ~80 calls) on every page, most
of the model's time on short pages. Stacked, a batch of pages costs those calls once. Each page's
values must be the ones it has alone, bit for bit (the output may not depend on the batch, and
the trees were trained on pages alone): a running sum over the whole stack would round a page's
sums after a long page differently than after a short one, so each page gets its own running
sums, pages of similar length side by side in one array (`_page_sums`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Stack:
    """Where each page's lines stand among the rows of pages stacked one after another."""

    starts: np.ndarray  # first row of each page, then the row count: (pages + 1,)

    @classmethod
    def of(cls, counts: list[int]) -> "Stack":
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(starts)

    @property
    def rows(self) -> int:
        return int(self.starts[-1])

    @cached_property
    def page_of_row(self) -> np.ndarray:
        """Each row's page."""
        return np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))

    @cached_property
    def page_start(self) -> np.ndarray:
        """Each row's page's first row."""
        return self.starts[self.page_of_row]

    @cached_property
    def index(self) -> np.ndarray:
        """Each row's place in its page."""
        return np.arange(self.rows) - self.page_start

    @cached_property
    def page_length(self) -> np.ndarray:
        """Each row's page's line count."""
        return np.diff(self.starts)[self.page_of_row]

    @cached_property
    def sums_row(self) -> np.ndarray:
        """For each row, where its page's running sums start (`_page_sums`: a zero row each)."""
        return self.page_start + self.page_of_row

    def split(self, rows: np.ndarray) -> list[np.ndarray]:
        """`rows` cut back into pages."""
        return [rows[a:b] for a, b in zip(self.starts[:-1].tolist(), self.starts[1:].tolist())]

    def before_in_page(self, flags: np.ndarray) -> np.ndarray:
        """How many rows of each row's page above it have the 0/1 `flags` set (exact: integers)."""
        seen = np.cumsum(flags) - flags
        return seen - seen[self.page_start] if self.rows else seen

    def page_totals(self, values: np.ndarray) -> np.ndarray:
        """Each page's sum of `values`, as a value per row. `np.bincount` adds each page's rows in
        order, whatever pages come before, so a page's total is the same in any batch."""
        return np.bincount(self.page_of_row, weights=values, minlength=len(self.starts) - 1)[self.page_of_row]


def _page_sums(values: np.ndarray, stack: Stack) -> np.ndarray:
    """Each page's running sums of `values` (rows × columns), a zero row first, computed as for
    the page alone (`np.cumsum` adds in order; padding after a page changes none of its sums):
    page k's sums from row `starts[k] + k` on (`Stack.sums_row`). Pages are grouped by length
    up to the next power of two, so the padding at most doubles a group's cells."""
    width = values.shape[1]
    out = np.zeros((stack.rows + len(stack.starts) - 1, width))
    counts = np.diff(stack.starts)
    groups = np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)
    for group in np.unique(groups[counts > 0]).tolist():
        pages = np.flatnonzero((groups == group) & (counts > 0))
        length = int(counts[pages].max())
        at = np.arange(length)
        inside = at < counts[pages][:, None]
        rows = np.where(inside, stack.starts[pages][:, None] + at, 0)
        block = np.where(inside[..., None], values[rows], 0.0)
        np.cumsum(block, axis=1, out=block)
        out[((stack.starts[pages] + pages + 1)[:, None] + at)[inside]] = block[inside]
    return out


def window_means(values: np.ndarray, reach: tuple[int, ...], stack: Stack) -> np.ndarray:
    """Mean of each column of `values` over the `reach` lines each side in the line's page, the
    line itself excluded, for every reach at once (reaches × rows × columns)."""
    sums = _page_sums(values, stack)
    windows = np.array(reach)[:, None]
    low = stack.sums_row + np.maximum(stack.index - windows, 0)
    high = stack.sums_row + np.minimum(stack.index + windows + 1, stack.page_length)
    others = np.maximum(high - low - 1, 1)[..., None]
    return (sums[high] - sums[low] - values) / others


def side_means(values: np.ndarray, reach: tuple[int, ...], stack: Stack) -> np.ndarray:
    """Means of each column over the `reach` lines before a line and over those after it, in its
    page, -1 where the page has none on that side; as columns: for each reach, those before, then
    those after. Unlike the windows around a line, they tell the article's end (prose above,
    chrome below) from its start."""
    rows, width = values.shape
    sums = _page_sums(values, stack)
    windows = np.array(reach)[:, None]
    index = np.broadcast_to(stack.index, (len(reach), rows))
    low, high = np.maximum(index - windows, 0), np.minimum(index + windows + 1, stack.page_length)
    counts = np.stack((index - low, high - index - 1))  # side × reach × row
    ends, starts = np.stack((index, high)) + stack.sums_row, np.stack((low, index + 1)) + stack.sums_row
    means = (sums[ends] - sums[starts]) / np.maximum(counts, 1)[..., None]
    means[counts == 0] = -1.0
    return means.transpose(2, 1, 0, 3).reshape(rows, 2 * len(reach) * width)


def neighbours(values: np.ndarray, offsets: tuple[int, ...], stack: Stack) -> np.ndarray:
    """For each row, `values` of the lines `offsets` away in its page (-1 past the page's ends),
    offset by offset (rows × offsets × columns)."""
    shift = np.array(offsets)
    at = stack.index[:, None] + shift
    inside = (at >= 0) & (at < stack.page_length[:, None])
    out = values[np.where(inside, np.arange(stack.rows)[:, None] + shift, 0)]
    out[~inside] = -1.0
    return out


def nearest_flagged(flags: np.ndarray, stack: Stack) -> tuple[np.ndarray, np.ndarray]:
    """For each row, how many lines up to the nearest flagged line above it in its page, and down
    to the one below (the page's line count where there is none)."""
    at = np.arange(stack.rows)
    marks = np.concatenate(([-1], np.flatnonzero(flags), [stack.rows]))  # beyond every page
    above = marks[np.searchsorted(marks, at, side="left") - 1]
    below = marks[np.searchsorted(marks, at, side="right")]
    return (np.where(above >= stack.page_start, at - above, stack.page_length),
            np.where(below < stack.page_start + stack.page_length, below - at, stack.page_length))
