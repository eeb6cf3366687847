"""Building blocks of the scenario models: strict models and duration distributions.

Every section of the scenario file is a :class:`StrictModel`: unknown keys are rejected (the error lists the valid
ones), and every quantity carries its unit in its name (``_days``, ``_kwp``, ``_percent``, ``_cny_per_w``...).
Section models live beside the module that uses them (``weather.WeatherConfig``, ``rollout.RolloutConfig``...)
and ``scenario.Scenario`` composes them, so a module and its settings change together.
"""

from __future__ import annotations

import csv
import math
import typing
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtri

SiteType = Literal[
    "rural_home",
    "public_building",
    "party_government",
    "commercial_industrial",
    "agrivoltaic",
    "greenhouse",
    "fish_pond",
    "tourism_carpark",
    "guesthouse",
]
SITE_TYPES: tuple[SiteType, ...] = typing.get_args(SiteType)

Mount = Literal[
    "roof_parallel", "fixed_rack", "carport", "agrivoltaic_fixed", "agrivoltaic_tracker", "fishery", "greenhouse"
]
#: Mount types of the yield engine (:mod:`sim.energy`), as site types and overrides name them.
MOUNTS: tuple[str, ...] = typing.get_args(Mount)

TABLES = Path(__file__).parent / "tables"


def _pilot_targets() -> tuple[dict[str, float], dict[str, str], str]:
    with open(TABLES / "pilot_targets.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return (
        {r["pilot_category"]: float(r["target_percent"]) for r in rows},
        {r["pilot_category"]: r["label"] for r in rows},
        rows[0]["source"],
    )


#: NEA whole-county rooftop distributed PV pilot (June 2021): minimum share of each category's roofs with PV [%],
#: from ``sim/tables/pilot_targets.csv`` (each row with its source).
PILOT_TARGETS_PERCENT, PILOT_LABELS, PILOT_SOURCE = _pilot_targets()


_MaybeNumber = TypeVar("_MaybeNumber", float, float | None)


def check_range(name: str, v: _MaybeNumber, lo: float, hi: float) -> _MaybeNumber:
    """``v`` if it is None or a finite number in [lo, hi], else a ValueError naming ``name`` and the range."""
    if v is not None and (not np.isfinite(v) or v < lo or v > hi):
        raise ValueError(f"{name} = {v!r} is out of range; allowed: {lo} .. {hi}")
    return v


class StrictModel(BaseModel):
    """A pydantic model that rejects unknown keys and validates on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


DistName = Literal["fixed", "uniform", "triangular", "exponential", "lognormal"]


class Duration(StrictModel):
    """A duration distribution in days.

    - ``fixed``: ``value_days``
    - ``uniform``: ``low_days`` .. ``high_days``
    - ``triangular``: ``low_days``, ``mode_days``, ``high_days``
    - ``exponential``: ``mean_days``
    - ``lognormal``: ``mean_days`` and ``sigma`` (shape of the underlying normal); the mean is the distribution's mean.
    """

    dist: DistName = Field("fixed", description="distribution: fixed, uniform, triangular, exponential, lognormal")
    value_days: float | None = Field(None, description="the duration of a fixed distribution")
    low_days: float | None = Field(None, description="minimum (uniform, triangular)")
    mode_days: float | None = Field(None, description="most likely value (triangular)")
    high_days: float | None = Field(None, description="maximum (uniform, triangular)")
    mean_days: float | None = Field(None, description="mean (exponential, lognormal)")
    sigma: float | None = Field(None, description="shape: standard deviation of the underlying normal (lognormal)")

    @model_validator(mode="after")
    def _check(self) -> Duration:
        need = {
            "fixed": ("value_days",),
            "uniform": ("low_days", "high_days"),
            "triangular": ("low_days", "mode_days", "high_days"),
            "exponential": ("mean_days",),
            "lognormal": ("mean_days", "sigma"),
        }[self.dist]
        for key in need:
            if getattr(self, key) is None:
                raise ValueError(f"distribution '{self.dist}' needs '{key}' (it needs {', '.join(need)})")
        for key in ("value_days", "low_days", "mode_days", "high_days", "mean_days", "sigma"):
            v = getattr(self, key)
            if v is not None and (not np.isfinite(v) or v < 0):
                raise ValueError(f"'{key}' must be a finite number >= 0, got {v}")
        if self.dist in ("uniform", "triangular"):
            low, high = self._param("low_days"), self._param("high_days")
            if low > high:
                raise ValueError(f"low_days ({self.low_days}) must not exceed high_days ({self.high_days})")
            if self.dist == "triangular" and not (low <= self._param("mode_days") <= high):
                raise ValueError(
                    f"mode_days ({self.mode_days}) must lie between low_days ({self.low_days}) and "
                    f"high_days ({self.high_days})"
                )
        return self

    def _param(self, key: str) -> float:
        """The parameter ``key`` of this distribution (the validator made sure it is set)."""
        value = getattr(self, key)
        if value is None:
            raise ValueError(f"distribution '{self.dist}' needs '{key}'")
        return float(value)

    @property
    def mean(self) -> float:
        """Mean of the distribution [days]."""
        if self.dist == "fixed":
            return self._param("value_days")
        if self.dist == "uniform":
            return 0.5 * (self._param("low_days") + self._param("high_days"))
        if self.dist == "triangular":
            return (self._param("low_days") + self._param("mode_days") + self._param("high_days")) / 3.0
        return self._param("mean_days")

    def ppf(self, u: float | np.ndarray) -> float | np.ndarray:
        """Quantile function (inverse CDF) of the distribution at probabilities ``u`` in [0, 1) [days].

        The one place where a uniform becomes a duration: the rollout draws its stage durations and repair times as
        ``ppf`` of a site's own uniforms (common random numbers). Vectorised: an array ``u`` gives an array of the
        same shape, a scalar ``u`` a float.
        """
        q = np.asarray(u, dtype=float)
        out: np.ndarray
        if self.dist == "fixed":
            out = np.full(q.shape, self._param("value_days"))
        elif self.dist == "uniform":
            low = self._param("low_days")
            out = low + (self._param("high_days") - low) * q
        elif self.dist == "triangular":
            low, mode, high = self._param("low_days"), self._param("mode_days"), self._param("high_days")
            # one draw (a repair time in the event loop) as a float: NumPy scalars, not 0-d arrays (3.5x faster)
            out = _triangular_ppf(low, mode, high, q if q.ndim else float(q))
        elif self.dist == "exponential":
            out = exponential_ppf(self._param("mean_days"), q)
        elif self.mean_days == 0:  # lognormal of mean 0
            out = np.zeros(q.shape)
        else:  # lognormal parameterised by its mean: mu = ln(mean) - sigma^2 / 2
            sigma = self._param("sigma")
            mu = math.log(self._param("mean_days")) - 0.5 * sigma**2
            out = np.exp(mu + sigma * ndtri(q))
        return float(out) if q.ndim == 0 else out

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        """Draw duration(s) [days] from ``rng``: :meth:`ppf` of ``rng.random(size)``."""
        return self.ppf(rng.random(size))


def exponential_ppf(mean: float, q: float | np.ndarray) -> np.ndarray:
    """Quantile function of the exponential distribution of mean ``mean`` at probabilities ``q`` in [0, 1):
    ``-mean x ln(1 - q)`` (same unit as ``mean``). The one inverse CDF of the exponential: :meth:`Duration.ppf` and
    the rollout's times to inverter failure call it."""
    return -mean * np.log1p(-np.asarray(q, dtype=float))


def _triangular_ppf(low: float, mode: float, high: float, q: float | np.ndarray) -> np.ndarray:
    if high == low:
        return np.full(np.shape(q), float(low))
    left = low + np.sqrt(q * (high - low) * (mode - low))
    right = high - np.sqrt((1 - q) * (high - low) * (high - mode))
    return np.where(q < (mode - low) / (high - low), left, right)


def fixed(days: float) -> Duration:
    return Duration(dist="fixed", value_days=days)


def triangular(low: float, mode: float, high: float) -> Duration:
    return Duration(dist="triangular", low_days=low, mode_days=mode, high_days=high)
