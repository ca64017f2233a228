"""The target pipeline: transforms applied in order and inverted in reverse.

``build_pipeline`` turns a ``PreprocessConfig`` into the ordered steps;
``Pipeline`` fits them one after another on the training part and undoes them
for one-step forecasts and for paths; its state is JSON (``get_state``), and
``transform_from_state`` rebuilds any saved step without unpickling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.core.config import PreprocessConfig
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Transform, as_float_array
from lstmcast.preprocess.decompose import Decompose
from lstmcast.preprocess.difference import Difference
from lstmcast.preprocess.impute import Impute
from lstmcast.preprocess.outliers import Outliers
from lstmcast.preprocess.power import BoxCox, Log
from lstmcast.preprocess.residual import Combine, Residual
from lstmcast.preprocess.scale import Scaler


def _apply(step: Transform, x: np.ndarray, start: int,
           times: np.ndarray | None) -> np.ndarray:
    """``step.transform``, passing the times to the imputer only."""
    if isinstance(step, Impute):
        return step.transform(x, start, times)
    return step.transform(x, start)


class Pipeline:
    """Steps applied in order, fitted one after the other, inverted in reverse.

    Parameters
    ----------
    steps : list of Transform
        ``times`` (float array aligned with the series, e.g. epoch seconds),
        when given, goes to ``Impute`` only.

    Notes
    -----
    ``Impute`` and ``Outliers`` invert as the identity, so the inversions give
    forecasts of the filled, cleaned series. Each inversion transforms the
    whole of ``x`` (or ``history``) again to get every stage's true history
    (:meth:`inverse_paths` once for many origins).
    """

    def __init__(self, steps: list[Transform]) -> None:
        self.steps = list(steps)

    def fit(self, x: np.ndarray, times: np.ndarray | None = None) -> Pipeline:
        """Fit each step on the training output of the previous one."""
        current = as_float_array(x)
        for step in self.steps:
            if isinstance(step, Impute):
                step.fit(current, times)
            else:
                step.fit(current)
            current = _apply(step, current, 0, times)
        return self

    def transform_stages(self, x: np.ndarray, start: int = 0,
                         times: np.ndarray | None = None) -> list[np.ndarray]:
        """The input of every step plus the final output (len(steps) + 1)."""
        stages = [as_float_array(x)]
        for step in self.steps:
            stages.append(_apply(step, stages[-1], start, times))
        return stages

    def transform(self, x: np.ndarray, start: int = 0,
                  times: np.ndarray | None = None) -> np.ndarray:
        """The output of the last step."""
        return self.transform_stages(x, start, times)[-1]

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0,
                         times: np.ndarray | None = None) -> np.ndarray:
        """Undo every step for forecasts of ``x[positions]``, with true history."""
        stages = self.transform_stages(x, start, times)
        z = np.asarray(z_hat, dtype=np.float64)
        for step, stage in zip(self.steps[::-1], stages[-2::-1], strict=True):
            z = step.inverse_one_step(z, positions, stage, start)
        return z

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0, times: np.ndarray | None = None) -> np.ndarray:
        """Undo every step for a path after ``history`` (positions T..T+H-1)."""
        history = as_float_array(history)
        z = np.asarray(z_path, dtype=np.float64)[None]
        return self.inverse_paths(z, history, np.array([history.size - 1]), start,
                                  times)[0]

    def inverse_paths(self, z_paths: np.ndarray, x: np.ndarray, origins: np.ndarray,
                      start: int = 0, times: np.ndarray | None = None) -> np.ndarray:
        """(B, H): ``inverse_path(z_paths[i], x[:origins[i] + 1])`` for every
        origin, with ``x`` transformed once instead of once per origin (every
        step is causal: its output up to row t reads ``x`` up to row t only),
        so a long series is not copied and transformed for each path."""
        origins = np.asarray(origins, dtype=np.int64)
        if len(origins) == 0:
            return np.empty((0, np.shape(z_paths)[-1]))
        last = int(origins.max()) + 1
        stages = self.transform_stages(x[:last], start,
                                       None if times is None else times[:last])
        out = []
        for z_path, origin in zip(z_paths, origins, strict=True):
            z = np.asarray(z_path, dtype=np.float64)
            for step, stage in zip(self.steps[::-1], stages[-2::-1], strict=True):
                z = step.inverse_path(z, stage[: origin + 1], start)
            out.append(z)
        return np.stack(out)

    def get_state(self) -> dict[str, Any]:
        """The fitted steps as JSON-able dicts."""
        return {"kind": "pipeline", "steps": [s.get_state() for s in self.steps]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Pipeline:
        """Rebuild a fitted pipeline from ``get_state()``."""
        return cls([transform_from_state(s) for s in state["steps"]])

    def __repr__(self) -> str:
        return f"Pipeline([{', '.join(map(repr, self.steps))}])"


_KINDS: dict[str, type[Transform]] = {
    cls._kind: cls
    for cls in (Impute, Outliers, Log, BoxCox, Difference, Decompose, Residual,
                Scaler, Combine)
}


def transform_from_state(state: dict[str, Any]) -> Transform:
    """Rebuild a fitted step from its ``get_state()`` dict."""
    kind = state.get("kind")
    if kind not in _KINDS:
        raise DataError(f"Unknown transform kind {kind!r} in a saved state. Known "
                        f"kinds: {', '.join(_KINDS)}. Was it saved by a newer "
                        "lstmcast?")
    return _KINDS[kind]._from_state(state)


def build_pipeline(config: PreprocessConfig, season: int) -> Pipeline:
    """The target pipeline a ``PreprocessConfig`` describes.

    Order: impute, outliers, log/boxcox, ``difference`` x Difference(1),
    seasonal difference, decomposition (period ``season``), the residual over
    a classical forecast, scaler, and with ``network_weight`` < 1 the
    combination with the fallback. Steps set to 'none' or 0 are left out; the
    scaler is not centring after a residual step, so that a zero network
    output is the classical forecast itself.
    """
    steps: list[Transform] = []
    if config.impute != "none":
        steps.append(Impute(config.impute))
    if config.outliers != "none":
        steps.append(Outliers(config.outliers, config.outlier_method,
                              config.outlier_threshold))
    if config.transform != "none":
        steps.append({"log": Log, "boxcox": BoxCox}[config.transform]())
    steps += [Difference(1) for _ in range(config.difference)]
    if config.seasonal_difference:
        steps.append(Difference(config.seasonal_difference))
    if config.decompose != "none":
        if season < 2:
            raise DataError(f"decompose='{config.decompose}' needs a season >= 2; "
                            f"got {season}. Set season or use decompose='none'.")
        steps.append(Decompose(config.decompose, period=int(season)))
    if config.residual_of != "none":
        steps.append(Residual(config.residual_of, season=max(int(season), 1)))
    steps.append(Scaler(config.scaler, center=config.residual_of == "none"))
    if config.network_weight < 1:
        steps.append(Combine(config.network_weight, "zero" if config.residual_of
                             != "none" else "last"))
    return Pipeline(steps)
