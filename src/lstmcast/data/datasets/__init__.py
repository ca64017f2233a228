"""The bundled CSV files and catalog.json (read by lstmcast.data.bundled)."""
