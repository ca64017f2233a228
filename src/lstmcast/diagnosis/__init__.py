"""Findings about a series before any training."""
