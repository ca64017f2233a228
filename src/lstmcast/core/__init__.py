"""Shared by every room: errors, settings, atomic files, findings."""
