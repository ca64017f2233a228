"""Reference forecasts every LSTM is scored beside: naive, seasonal naive,
mean and drift (``simple``), AutoARIMA (``arima``) and ETS (``ets``) behind
one ``Baseline`` interface (``base``: fit on the training part, forecast one
step from the true history or a path of H steps); Theta, damped ETS and the
dynamic optimised Theta fitted to thousands of series at once (``theta``,
``damped``, ``dtheta``, ``joint``), in chunks of series run side by side
(``chunked``).

Imports data and core.
"""
