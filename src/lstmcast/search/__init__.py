"""Choosing settings on validation: --auto, the R² ladder, Optuna tuning."""
