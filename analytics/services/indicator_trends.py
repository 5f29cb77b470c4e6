"""Change and trend tests of an indicator's values over periods (each value with its standard error).

Change from the period before: z = (C_t - C_t-1) / sqrt(SE_t^2 + SE_t-1^2), two-sided normal p; the
periods are independent samples (different respondents and cases).
Trend: weighted least squares of the value on the period number x = 0, 1, ... with weights
1 / SE^2 (SEs below SE_FLOOR raised to it: values are published to a tenth of a point, and a zero SE,
e.g. a 100 % rate, would otherwise take all the weight). slope b = sum w (x - xw)(y - yw) /
sum w (x - xw)^2; Var b = phi / sum w (x - xw)^2 with the dispersion phi = max(1, sum w r^2 / (m - 2))
(the sampling variances are a floor: real period-to-period variation only widens the interval);
p from Student t with m - 2 degrees of freedom; at least three periods with a value.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
from scipy import stats

SE_FLOOR = 0.5
MIN_TREND_POINTS = 3
ALPHA = 0.05


class Valued(Protocol):
    value: float | None
    se: float | None


def _direction(estimate: float, p_value: float) -> str:
    if p_value >= ALPHA:
        return "no_significant_change"
    return "increase" if estimate > 0 else "decrease"


def change_test(previous_label: str, current: Valued, previous: Valued) -> dict[str, Any]:
    """Period-over-period change with its z-test."""
    out: dict[str, Any] = {"previous_period": previous_label, "previous_value": previous.value}
    if current.value is None or previous.value is None:
        return out | {"change": None, "se": None, "z": None, "p_value": None, "result": "not_available"}
    change = current.value - previous.value
    se = math.sqrt((current.se or 0.0) ** 2 + (previous.se or 0.0) ** 2)
    if se == 0:
        z, p = None, (1.0 if change == 0 else 0.0)
    else:
        z = change / se
        p = float(2 * stats.norm.sf(abs(z)))
    return out | {"change": change, "se": se, "z": z, "p_value": p, "result": _direction(change, p)}


def trend_test(series: list[tuple[str, Valued]]) -> dict[str, Any]:
    """WLS slope per period over the series (oldest first) with its t-test."""
    points = [(x, v.value, max(v.se or 0.0, SE_FLOOR)) for x, (_label, v) in enumerate(series)]
    points = [(x, y, s) for x, y, s in points if y is not None]
    out: dict[str, Any] = {
        "periods": [{"period": label, "value": v.value, "se": v.se} for label, v in series],
        "points": len(points),
    }
    if len(points) < MIN_TREND_POINTS:
        return out | {"slope": None, "slope_se": None, "p_value": None, "result": "not_available"}
    x, y, s = (np.array(column, dtype=float) for column in zip(*points, strict=True))
    w = 1.0 / s**2
    xw, yw = np.average(x, weights=w), np.average(y, weights=w)
    sxx = float(np.sum(w * (x - xw) ** 2))
    slope = float(np.sum(w * (x - xw) * (y - yw)) / sxx)
    residual = y - yw - slope * (x - xw)
    dof = len(points) - 2
    dispersion = max(1.0, float(np.sum(w * residual**2)) / dof)
    slope_se = math.sqrt(dispersion / sxx)
    p = float(2 * stats.t.sf(abs(slope / slope_se), dof))
    return out | {
        "slope": slope,
        "slope_se": slope_se,
        "dispersion": dispersion,
        "p_value": p,
        "result": _direction(slope, p),
    }
