"""The Keras engine: Layer, Input/KerasTensor, Node, functional Model, Sequential, training loop."""
