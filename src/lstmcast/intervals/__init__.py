"""Prediction intervals: levels and quantiles, conformal calibration from
out-of-sample errors, and the scores of intervals (coverage, pinball, MSIS,
CRPS). Plain numpy over arrays of forecasts; knows nothing of networks, series
objects or run folders, so the single-series forecaster, the panel's global
model and the evaluation all use the same maths.

Imports only core.
"""
