"""Transforms fitted on the training part only and inverted exactly, one step
or a whole path: imputation, outliers, log / Box-Cox, differencing,
decomposition, the residual over a classical forecast, scaling (one module
each, sharing ``base``); ``pipeline`` chains them in a fixed order with a JSON
state; ``features`` builds lags, rolling statistics, calendar features and
covariates.

Imports baselines (the residual transform), data and core.
"""
