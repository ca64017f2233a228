"""The network and its training, with no pandas and no data files: strided
windows (``windows``) and contiguous chunks (``sequences``) over one array,
``LSTMNet`` (``model``), seed ensembles (``ensemble``), the training loop
(``train``) and its checkpoints (``checkpoint``).

Imports only core; the diagnosis room is its independent sibling.
"""
