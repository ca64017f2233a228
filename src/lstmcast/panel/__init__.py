"""One global model over many series: each series scaled on its own (seasonal
adjustment, logs), windows drawn from every series into one LSTM, and the
per-series classical methods (Theta, damped-trend ETS, dynamic optimised
Theta) it is combined with.

``prepare`` scales the series, ``windows`` serves training windows across
series, ``fit`` trains the network, ``combine`` chooses the combination on
validation, ``bands`` makes the prediction intervals from the validation
errors, ``predict`` forecasts (network, classical methods, combination),
``state`` holds what a fit learned and ``serialize`` saves it.

Imports network, preprocess, baselines, data, intervals and core.
"""
