"""Shared by every room: the errors users see (``errors``), the settings
(``config``: one frozen dataclass per concern, the same names as the CLI
flags), atomic file writes and JSON read with bounds (``persist``), the
manifest of a folder (``manifest``), run folders swapped in whole under a lock
(``runfolder``), checks of JSON against a schema of types and ranges
(``schema``), argument checks (``checks``), the ``Finding`` record of
diagnoses and the doctor (``findings``), per-series work mapped over chunks
of series in threads or on a Dask cluster (``parallel``) and the version.

Imports nothing from lstmcast's other rooms: every room may import it.
"""
