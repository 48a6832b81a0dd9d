"""Fit the offline ranker's confidence calibration on the TUNING part of the real-name set.

The ranker's confidence is p = sigmoid(a + b * score + c * margin) (score of the best leaf,
margin over the runner-up), then mapped through the accuracy observed per probability bin
(monotone, piecewise linear). This script refits both from `tests/data/real_names/tuning.csv`
only (the part that may be tuned on) and prints the `CALIBRATION` and `BINS` constants for
`dropship_core/ai/ranker.py`. Run it after any change to the vocabulary or the weights:

    PYTHONPATH=$PWD python bench/fit_calibration.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dropship_core.ai.ranker import default_ranker  # noqa: E402

TUNING_CSV = ROOT / "tests" / "data" / "real_names" / "tuning.csv"
N_BINS = 6


def features(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rk = default_ranker("smartstore")
    x, y = [], []
    for r in rows:
        s = rk.scores(r["name"])
        best = int(np.argsort(-s, kind="stable")[0])
        s1 = float(s[best])
        x.append((s1, s1 - rk.rival_score(s, best)))
        y.append(rk.ids[best] == r["expected_id"])
    return np.array(x), np.array(y, dtype=float)


def fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 50) -> np.ndarray:
    """Newton's method on the log-likelihood with a tiny ridge (a, b, c)."""
    X = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        g = X.T @ (y - p) - 1e-3 * w
        h = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(X.shape[1])
        w += np.linalg.solve(h, g)
    return w


def bins(p: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """(probability, observed accuracy) knots: equal-count bins, accuracy made non-decreasing."""
    order = np.argsort(p)
    knots = [(0.0, 0.0)]
    for chunk in np.array_split(order, N_BINS):
        knots.append((float(p[chunk].max()), float(y[chunk].mean())))
    for i in range(1, len(knots)):
        knots[i] = (knots[i][0], max(knots[i][1], knots[i - 1][1]))
    knots[-1] = (1.0, knots[-1][1])
    return [(round(a, 3), round(b, 3)) for a, b in knots]


def main() -> int:
    with open(TUNING_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    x, y = features(rows)
    w = fit_logistic(x, y)
    p = 1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:])))
    print(f"# fitted on {len(rows)} tuning names, leaf accuracy {y.mean():.3f}")
    print(f"CALIBRATION = ({w[0]:.2f}, {w[1]:.2f}, {w[2]:.2f})")
    print(f"BINS = {tuple(bins(p, y))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
