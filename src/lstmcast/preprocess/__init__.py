"""Transforms fitted on the training part and inverted exactly; features."""
