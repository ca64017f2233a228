"""Matplotlib figures drawn from plain frames and dicts."""
