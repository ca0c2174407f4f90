"""Exact linear programming over fractions: the range a reader can infer for a hidden cell.

A published table is a system of linear equalities (a year is the sum of its quarters, a
total the sum of its categories) over cells, some published and some hidden. Substituting
the published values leaves ``A x = b`` over the hidden cells with bounds ``lo <= x <= hi``
(a cell shown as "< 5" lies in 0..4). The least and greatest value a hidden cell can take
under those constraints is what arithmetic on the table can learn about it. The tables here
are small (tens of cells), so a two-phase simplex on ``Fraction`` with Bland's rule (no
cycling, no rounding) is exact and fast enough; no numeric library is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Row = dict[int, Fraction]


@dataclass(frozen=True)
class System:
    """``sum(row[j] * x[j]) == rhs`` for each equation; ``lower[j] <= x[j] <= upper[j]``."""

    size: int
    equations: Sequence[tuple[Row, Fraction]]
    lower: Sequence[Fraction]
    upper: Sequence[Fraction | None]


def _solve(
    rows: list[list[Fraction]], rhs: list[Fraction], cost: list[Fraction]
) -> Fraction | None:
    """Minimise ``cost . y`` over ``rows y = rhs, y >= 0``; None when infeasible or unbounded
    below (the caller only asks bounded questions of feasible systems)."""
    m, n = len(rows), len(cost)
    # Phase one: artificials a_i with rows y + a = rhs (rhs made non-negative).
    tableau: list[list[Fraction]] = []
    for i in range(m):
        sign = -1 if rhs[i] < 0 else 1
        line = [sign * v for v in rows[i]] + [Fraction(1 if k == i else 0) for k in range(m)]
        tableau.append([*line, sign * rhs[i]])
    basis = [n + i for i in range(m)]
    width = n + m

    def pivot(r: int, c: int) -> None:
        p = tableau[r][c]
        tableau[r] = [v / p for v in tableau[r]]
        for i in range(m):
            if i != r and tableau[i][c] != 0:
                f = tableau[i][c]
                tableau[i] = [a - f * b for a, b in zip(tableau[i], tableau[r], strict=True)]
        basis[r] = c

    def run(objective: list[Fraction], allowed: int) -> bool:
        """Simplex on the current tableau; False when unbounded."""
        while True:
            reduced = [
                objective[j]
                - sum((objective[basis[i]] * tableau[i][j] for i in range(m)), Fraction(0))
                for j in range(allowed)
            ]
            entering = next((j for j in range(allowed) if reduced[j] < 0 and j not in basis), None)
            if entering is None:
                return True
            best: tuple[Fraction, int, int] | None = None
            for i in range(m):
                if tableau[i][entering] > 0:
                    ratio = tableau[i][-1] / tableau[i][entering]
                    if best is None or (ratio, basis[i]) < (best[0], best[1]):
                        best = (ratio, basis[i], i)
            if best is None:
                return False
            pivot(best[2], entering)

    phase_one = [Fraction(0)] * n + [Fraction(1)] * m
    run(phase_one, width)
    if sum((tableau[i][-1] for i in range(m) if basis[i] >= n), Fraction(0)) != 0:
        return None
    for i in range(m):  # drive remaining (zero-valued) artificials out of the basis
        if basis[i] >= n:
            column = next((j for j in range(n) if tableau[i][j] != 0), None)
            if column is not None:
                pivot(i, column)
    keep = [i for i in range(m) if basis[i] < n]
    tableau = [tableau[i] for i in keep]
    basis = [basis[i] for i in keep]
    m = len(tableau)
    tableau = [[*line[:n], line[-1]] for line in tableau]
    if not run(list(cost), n):
        return None
    return sum((cost[basis[i]] * tableau[i][-1] for i in range(m)), Fraction(0))


def _standard(system: System) -> tuple[list[list[Fraction]], list[Fraction], int]:
    """Shift by the lower bounds and add a slack per upper bound: rows y = rhs, y >= 0."""
    n = system.size
    uppers = [j for j in range(n) if system.upper[j] is not None]
    width = n + len(uppers)
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    for coefficients, value in system.equations:
        line = [Fraction(0)] * width
        shifted = value
        for j, a in coefficients.items():
            line[j] = a
            shifted -= a * system.lower[j]
        rows.append(line)
        rhs.append(shifted)
    for k, j in enumerate(uppers):
        line = [Fraction(0)] * width
        line[j] = Fraction(1)
        line[n + k] = Fraction(1)
        upper = system.upper[j]
        assert upper is not None
        rows.append(line)
        rhs.append(upper - system.lower[j])
    return rows, rhs, width


def feasible_range(system: System, cell: int) -> tuple[Fraction, Fraction | None] | None:
    """The least and greatest value of ``x[cell]`` (None: no upper limit); None if infeasible.

    Only the equations linked to ``cell`` (through shared variables) bound it, so the
    program is solved over that component alone: the same answer, far fewer variables.
    """
    component = {cell}
    grew = True
    while grew:
        grew = False
        for coefficients, _ in system.equations:
            if component & coefficients.keys() and not coefficients.keys() <= component:
                component |= coefficients.keys()
                grew = True
    order = sorted(component)
    position = {j: k for k, j in enumerate(order)}
    system = System(
        len(order),
        [
            ({position[j]: a for j, a in coefficients.items()}, value)
            for coefficients, value in system.equations
            if coefficients.keys() <= component
        ],
        [system.lower[j] for j in order],
        [system.upper[j] for j in order],
    )
    cell = position[cell]
    rows, rhs, width = _standard(system)
    cost = [Fraction(0)] * width
    cost[cell] = Fraction(1)
    least = _solve(rows, rhs, cost)
    if least is None:
        return None
    cost[cell] = Fraction(-1)
    most = _solve(rows, rhs, cost)
    low = least + system.lower[cell]
    return low, (None if most is None else -most + system.lower[cell])
