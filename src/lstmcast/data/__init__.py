"""From a file, DataFrame or Series to a validated ``SeriesData``.

``reading`` reads CSV and Parquet (``limits``: line, header and name checks
before pandas parses), ``columns`` finds the target, time and
covariates, ``numbers`` turns cells into floats, ``timeparse`` and
``timegrid`` parse stamps, infer the frequency and repair gaps, duplicates and
order; ``loading`` (``load``, ``load_data``, ``as_series``) runs them in
order and records every repair; ``series`` holds the result; ``future``
reads the future covariates of the steps to forecast. ``split``
counts the test and validation rows and the window, ``seasonality`` finds the
season length, ``bundled`` loads the datasets shipped in ``datasets/``.

Imports only core.
"""
