"""LSTMForecaster: fit, predict, save and load."""
