"""Scores on the test part beside the baselines; the doctor; backtests."""
