"""Findings about a series before any training (``diagnose``): missing values,
outliers, stamps, scale, stationarity, season, trend, random walk, data
sufficiency, covariates; each with its evidence and the settings that fix it.
``stats`` computes the numbers, ``checks`` turns them into findings.

Imports preprocess, baselines, data, figures and core; never the network.
"""
