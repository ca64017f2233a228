"""Files to a validated SeriesData: reading, time stamps, seasons, splits,
bundled datasets."""
