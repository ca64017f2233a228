"""Reference forecasts: naive, seasonal naive, mean, drift, AutoARIMA, ETS."""
