"""Fused recurrent primitives (LSTM, GRU, SimpleRNN over a whole sequence)."""
