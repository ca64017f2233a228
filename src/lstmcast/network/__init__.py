"""The LSTM network, its windows and sequences, training, checkpoints."""
