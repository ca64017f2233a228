"""The package version (read by pyproject.toml and written into saved models),
and the versions of what a fit depends on (recorded in every manifest)."""

__version__ = "0.1.0"


def library_versions() -> dict[str, str]:
    """Versions of python, lstmcast and the libraries a fit depends on."""
    import platform

    import numpy as np
    import pandas as pd
    import torch
    return {"python": platform.python_version(), "lstmcast": __version__,
            "torch": torch.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "platform": platform.platform()}
