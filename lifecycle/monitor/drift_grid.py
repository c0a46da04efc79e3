"""Numeric distributions for drift: a sample compressed to distinct values and counts, the
reference's grid, and counts on that grid, with Kolmogorov–Smirnov and Wasserstein computed from
them and a bound on their distance to the exact values.

A large window is not compared value by value: DuckDB counts its values on the grid of the
reference (``Grid``): the point masses at each grid point and the mass strictly between two
neighbouring points (``GridCounts``), plus the count and sum of the values below the first and
above the last point. The grid is every distinct reference value when there are at most
``GRID_POINTS`` of them, else ``GRID_POINTS`` order statistics of the reference (min and max
included). From these counts:

- **KS**: the two empirical CDFs are known exactly at every grid point and just left of it, so
  ``D`` taken there is a value the sup reaches; inside a cell both CDFs are monotone, so the
  sup there is at most ``max(F_ref(b-) - F_cur(a), F_cur(b-) - F_ref(a))`` for the cell
  ``(a, b)``. ``ks_on_grid`` returns ``D`` and that bound's excess (0 when the grid holds every
  reference value: the reference CDF is flat inside a cell and the sup sits at a cell's end).
- **Wasserstein-1** (``∫|F_ref - F_cur| dx``): exact on the tails (from the sums), each CDF
  taken linear inside a cell; a monotone function differs from its chord by at most
  ``h * mass / 2`` in integral over a cell of width ``h``, so the error is at most
  ``Σ h * (mass_ref / n_ref + mass_cur / n_cur) / 2`` (0 when no value lies strictly inside a
  cell of either sample, as with integer features).

Tests hold both against ``scipy.stats.ks_2samp`` and ``scipy.stats.wasserstein_distance``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID_POINTS = 2048  # most points of a reference grid (every distinct value up to this many)
DISPLAY_BINS = 20  # bins of the histograms charts show (edges snapped to grid points)


@dataclass(frozen=True, eq=False)
class Distribution:
    """A numeric sample as its sorted distinct finite values and their counts (int64)."""

    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, sample) -> Distribution:
        """From raw values; empty, NaN and infinite values are left out."""
        x = np.asarray(sample, dtype=float)
        values, counts = np.unique(x[np.isfinite(x)], return_counts=True)
        return cls(values=values, counts=counts.astype(np.int64))

    @classmethod
    def from_counts(cls, values, counts) -> Distribution:
        """From values and counts in any order (repeated values are merged, zero counts dropped)."""
        values, counts = np.asarray(values, dtype=float), np.asarray(counts, dtype=np.int64)
        keep = np.isfinite(values) & (counts > 0)
        unique, inverse = np.unique(values[keep], return_inverse=True)
        return cls(values=unique, counts=np.bincount(inverse, weights=counts[keep], minlength=len(unique))
                   .astype(np.int64))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def cdf(self, points, *, side: str = "right") -> np.ndarray:
        """Share of the sample ``<= points`` (``side="right"``) or ``< points`` (``"left"``)."""
        cumulative = np.concatenate([[0], np.cumsum(self.counts)])
        return cumulative[np.searchsorted(self.values, points, side=side)] / self.n

    def sample(self) -> np.ndarray:
        """The sample itself (each value repeated by its count)."""
        return np.repeat(self.values, self.counts)

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.counts) / self.n)

    @property
    def std(self) -> float:
        """Population standard deviation (ddof 0)."""
        mean = self.mean
        return float(np.sqrt(np.dot((self.values - mean) ** 2, self.counts) / self.n))


@dataclass(frozen=True, eq=False)
class Grid:
    """The reference's grid: ``points`` (strictly increasing, the reference's min and max
    included); ``every_value`` when they are all its distinct values. ``boundaries`` are the
    buckets DuckDB counts into: just below each point and the point itself, so each point's mass
    and each open cell's mass come apart (``cells`` says which bucket is which)."""

    points: np.ndarray
    every_value: bool
    boundaries: np.ndarray
    cells: np.ndarray  # per boundary, then one for "above": -1 below, 2i point i, 2i+1 open cell i, -2 above

    @classmethod
    def of(cls, reference: Distribution, max_points: int = GRID_POINTS) -> Grid:
        if len(reference.values) <= max_points:
            points, every = reference.values, True
        else:
            positions = np.round(np.linspace(0, reference.n - 1, max_points)).astype(np.int64)
            order = np.searchsorted(np.cumsum(reference.counts), positions, side="right")
            points, every = np.unique(reference.values[order]), False
        boundaries, cells = [np.nextafter(points[0], -np.inf)], [-1]
        for i, point in enumerate(points):
            boundaries.append(point)
            cells.append(2 * i)
            if i + 1 < len(points):
                below_next = np.nextafter(points[i + 1], -np.inf)
                if below_next > point:  # else no double lies between the two points
                    boundaries.append(below_next)
                    cells.append(2 * i + 1)
        cells.append(-2)
        return cls(points=np.asarray(points, dtype=float), every_value=every,
                   boundaries=np.asarray(boundaries, dtype=float), cells=np.asarray(cells))

    def psi_edges(self, reference: GridCounts, bins: int) -> np.ndarray:
        """Interior edges of ``bins`` reference-quantile bins, each a grid point: the first point
        where the reference's CDF reaches k/bins (bins ``(-inf, e1], (e1, e2], ..., (e_last, inf)``;
        ties merge bins)."""
        cumulative = reference.cumulative()
        chosen = [int(np.searchsorted(cumulative * bins, k * reference.n, side="left")) for k in range(1, bins)]
        return np.unique(self.points[np.minimum(chosen, len(self.points) - 1)])

    def display_edges(self, bins: int = DISPLAY_BINS) -> np.ndarray:
        """Interior edges of about ``bins`` equal-width bins over the reference's range, snapped to grid points."""
        low, high = self.points[0], self.points[-1]
        if high <= low:
            return self.points[:1]
        targets = np.linspace(low, high, bins + 1)[1:-1]
        return np.unique(self.points[np.searchsorted(self.points, targets)])


@dataclass(frozen=True, eq=False)
class GridCounts:
    """A sample counted on a grid: below the first point (count and sum), at each point, strictly
    inside each cell (between points i and i+1), above the last point (count and sum)."""

    grid: Grid
    below: int
    below_sum: float
    point: np.ndarray  # m
    open: np.ndarray  # m - 1
    above: int
    above_sum: float

    @classmethod
    def of(cls, grid: Grid, sample: Distribution) -> GridCounts:
        """Count a sample known value by value (exact)."""
        points, m = grid.points, len(grid.points)
        index = np.searchsorted(points, sample.values, side="right") - 1
        at = (index >= 0) & (points[np.maximum(index, 0)] == sample.values)
        below, above = index < 0, (index == m - 1) & ~at
        inside = ~at & ~below & ~above
        return cls(grid=grid, below=int(sample.counts[below].sum()),
                   below_sum=float(np.dot(sample.values[below], sample.counts[below])),
                   point=np.bincount(index[at], weights=sample.counts[at], minlength=m).astype(np.int64),
                   open=np.bincount(index[inside], weights=sample.counts[inside], minlength=max(m - 1, 0))
                   .astype(np.int64)[:max(m - 1, 0)],
                   above=int(sample.counts[above].sum()),
                   above_sum=float(np.dot(sample.values[above], sample.counts[above])))

    @classmethod
    def from_buckets(cls, grid: Grid, buckets: np.ndarray, *, below_sum: float, above_sum: float) -> GridCounts:
        """From DuckDB's counts on ``grid.boundaries`` (one more for the values above the last)."""
        buckets = np.asarray(buckets, dtype=np.int64)
        m = len(grid.points)
        point, open_ = np.zeros(m, dtype=np.int64), np.zeros(max(m - 1, 0), dtype=np.int64)
        cells = grid.cells
        point[cells[(cells >= 0) & (cells % 2 == 0)] // 2] = buckets[(cells >= 0) & (cells % 2 == 0)]
        open_[cells[(cells >= 0) & (cells % 2 == 1)] // 2] = buckets[(cells >= 0) & (cells % 2 == 1)]
        return cls(grid=grid, below=int(buckets[cells == -1].sum()), below_sum=below_sum, point=point, open=open_,
                   above=int(buckets[cells == -2].sum()), above_sum=above_sum)

    @property
    def n(self) -> int:
        return int(self.below + self.point.sum() + self.open.sum() + self.above)

    def cumulative(self) -> np.ndarray:
        """Counts ``<= points[i]`` for each grid point i."""
        open_before = np.concatenate([[0], np.cumsum(self.open)])[:len(self.point)]
        return self.below + np.cumsum(self.point) + open_before

    def binned(self, edges: np.ndarray) -> np.ndarray:
        """Counts in ``(-inf, e1], (e1, e2], ..., (e_last, inf)`` for edges that are grid points."""
        at = np.searchsorted(self.grid.points, edges)
        cumulative = np.concatenate([[0], self.cumulative()[at], [self.n]])
        return np.diff(cumulative)


def ks_on_grid(reference: GridCounts, current: GridCounts) -> tuple[float, float]:
    """KS ``D`` from two samples counted on one grid, and how far above it the exact value can lie."""
    fr, fc = reference.cumulative() / reference.n, current.cumulative() / current.n
    fr_left, fc_left = fr - reference.point / reference.n, fc - current.point / current.n
    # at each point and just left of it (which covers the tails: the reference is 0 below the grid
    # and 1 above it, as the grid is built on the reference)
    attained = max(np.max(np.abs(fr - fc)), np.max(np.abs(fr_left - fc_left)))
    # between points i and i+1: the reference can reach fr_left[i+1] while the current is still at fc[i]
    inside = max(np.max(fr_left[1:] - fc[:-1], initial=0.0), np.max(fc_left[1:] - fr[:-1], initial=0.0))
    return float(attained), float(max(inside - attained, 0.0))


def wasserstein_on_grid(reference: GridCounts, current: GridCounts) -> tuple[float, float]:
    """Wasserstein-1 from two samples counted on one grid built on ``reference`` (linear inside
    each cell, exact on the tails), and the bound on its distance to the exact value (module
    docstring)."""
    points = reference.grid.points
    fr, fc = reference.cumulative() / reference.n, current.cumulative() / current.n
    fr_left, fc_left = fr - reference.point / reference.n, fc - current.point / current.n
    width = np.diff(points)
    d0, d1 = (fr - fc)[:-1], (fr_left - fc_left)[1:]
    same = d0 * d1 >= 0
    spread = np.abs(d0) + np.abs(d1)
    cells = np.where(same, width * spread / 2,
                     width * (d0 ** 2 + d1 ** 2) / (2 * np.where(spread > 0, spread, 1.0)))
    # beyond the grid the reference's CDF is 0 (below) and 1 (above): the current's tails are exact
    tails = (current.below * points[0] - current.below_sum) + (current.above_sum - current.above * points[-1])
    distance = float(cells.sum() + tails / current.n)
    bound = float(np.sum(width * (reference.open / reference.n + current.open / current.n)) / 2)
    return distance, bound

