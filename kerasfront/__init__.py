"""kerasfront: the Keras 2 (tf.keras) API built on autograd."""
__version__ = "0.1.0"
