"""``LSTMForecaster``, the estimator users hold (``estimator``: scikit-learn
style parameters). ``fit`` learns a ``FittedState`` (``state``): the shape of
the problem (``shape``), the input features (``inputs``), transforms and
networks; ``predict`` forecasts from it (one step, paths, strategies);
``serialize`` saves and loads it as safetensors + JSON, the JSON checked by
``model_schema`` before anything is built; ``compat`` checks that data to
forecast from has the model's time zone and frequency. With ``fit(...,
id=...)`` the estimator holds a global model's ``PanelState`` instead
(:mod:`lstmcast.panel`).

Imports panel, network, preprocess, baselines, data and core.
"""
