"""The network and its training, with no pandas and no data files: strided
windows (``windows``) and contiguous chunks (``sequences``) over one array,
``LSTMNet`` (``model``), seed ensembles (``ensemble``), the training loop
(``train``), its checkpoints (``checkpoint``) and data-parallel training
across the processes of ``torchrun`` (``data_parallel``).

Imports only core; the diagnosis room is its independent sibling.
"""
