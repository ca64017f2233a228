"""Network weights in and out of safetensors (a JSON header and raw numbers:
reading one can never run code, unlike a pickle)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lstmcast.core.errors import DataError

if TYPE_CHECKING:
    import torch
    from torch import nn


def tensors(net: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """The state dict of ``net`` as contiguous CPU tensors, keys prefixed."""
    return {f"{prefix}{k}": v.detach().cpu().contiguous()
            for k, v in net.state_dict().items()}


def read_weights(data: bytes, path: Path, *, finite: bool = True,
                 fix: str = "Fit the model again.") -> dict[str, torch.Tensor]:
    """Parse the bytes of the safetensors file ``path``; a malformed file, or
    (``finite``) NaN or infinite weights, is a DataError ending with ``fix``."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors
    try:
        weights = load_tensors(data)
    except (SafetensorError, ValueError) as exc:
        raise DataError(f"{path} is not a valid safetensors file ({exc}). It was "
                        f"not written by lstmcast; {fix[0].lower()}{fix[1:]}"
                        ) from None
    bad = sorted(k for k, v in weights.items() if finite
                 and v.is_floating_point() and not bool(v.isfinite().all()))
    if bad:
        raise DataError(f"{path} holds NaN or infinite weights (in "
                        f"{', '.join(bad[:5])}): such a model gives no usable "
                        f"forecast. {fix}")
    return weights
