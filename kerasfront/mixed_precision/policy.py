"""Dtype policies: what a layer computes in and what its variables are stored in.

``Policy("mixed_float16")`` computes in float16 with float32 variables (loss scaling keeps small float16
gradients from flushing to zero); ``"mixed_bfloat16"`` computes at bfloat16 precision with float32 variables;
any float dtype name (``"float32"``, ``"float64"``, ``"float16"``) uses that dtype for both. Layers made with
``dtype=None`` take the global policy (``set_global_policy``), as tf.keras.

bfloat16 in numpy: ml_dtypes gives numpy a bfloat16 storage type, but no arithmetic of its own (its matmul
returns float32), so kerasfront carries bfloat16 values in float32 arrays: a mixed_bfloat16 layer rounds its
floating inputs, its weights and its outputs to bfloat16 (``ag.round_to_precision``) and computes in float32
between. The numbers are bfloat16's at every layer boundary; the arrays say float32.

Example:
    >>> from kerasfront import mixed_precision
    >>> policy = mixed_precision.Policy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
"""
import numpy as np

from .. import backend
from ..engine import strings

__all__ = ["Policy", "global_policy", "set_global_policy", "serialize", "deserialize", "layer_policy"]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_INVALID = ("Cannot convert value {} to a mixed precision Policy. Valid policies include 'mixed_float16', "
            "'mixed_bfloat16', and the name of any dtype such as 'float32'.")


class Policy:
    """A dtype policy: ``compute_dtype`` (what layers compute in) and ``variable_dtype`` (what their weights are).

    Args:
        name: ``"mixed_float16"``, ``"mixed_bfloat16"``, or a dtype name (``"float32"``, ``"float64"``, ...).

    Example:
        >>> Policy("float64").compute_dtype
        'float64'
        >>> Policy("mixed_bfloat16")
        <Policy "mixed_bfloat16">
    """

    def __init__(self, name):
        if isinstance(name, np.dtype) or (isinstance(name, type) and issubclass(name, np.generic)):
            name = np.dtype(name).name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, but got: {name}")
        self._name = name
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], "float32"
        elif name == "_infer":
            self._compute_dtype = self._variable_dtype = None
        elif name == strings.STRING:           # text layers (TextVectorization, StringLookup)
            self._compute_dtype = self._variable_dtype = name
        elif name == "bfloat16":
            raise ValueError("Policy('bfloat16'): kerasfront keeps variables in numpy dtypes and numpy has no bfloat16 "
                             "arithmetic; use 'mixed_bfloat16' (bfloat16 computation, float32 variables)")
        else:
            try:
                dtype = np.dtype(name)
            except TypeError:
                raise ValueError(_INVALID.format(name)) from None
            if dtype.name != name and name not in ("float", "int", "bool"):
                raise ValueError(_INVALID.format(name))
            self._compute_dtype = self._variable_dtype = dtype.name

    @property
    def name(self):
        """The policy's name (``"mixed_float16"``)."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype layers compute in (``"float16"`` for mixed_float16)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layers' weights (``"float32"`` for the mixed policies)."""
        return self._variable_dtype

    @property
    def is_mixed(self):
        """Whether compute and variable dtypes differ (layers then cast their weights when they compute)."""
        return self._compute_dtype != self._variable_dtype

    def __repr__(self):
        return f'<Policy "{self._name}">'

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("loss_scale", None)          # written by TF 2.3's policies
        return cls(**config)


def serialize(policy):
    """A policy as a layer config writes it: the dtype name for a plain policy, else the Policy's dict.

    Example:
        >>> serialize(Policy("float32")), serialize(Policy("mixed_float16"))["config"]
        ('float32', {'name': 'mixed_float16'})
    """
    if not policy.is_mixed and policy.name == policy.compute_dtype:
        return policy.name
    return {"module": "keras.mixed_precision", "class_name": "Policy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """A policy from ``serialize``'s output (a name, or a ``{"class_name": "Policy", ...}`` dict).

    Example:
        >>> deserialize({"class_name": "Policy", "config": {"name": "mixed_float16"}}).compute_dtype
        'float16'
    """
    if isinstance(config, Policy):
        return config
    if isinstance(config, str):
        return Policy(config)
    if isinstance(config, dict) and config.get("class_name") in ("Policy", "PolicyV1", "DTypePolicy"):
        inner = config.get("config") or {}
        return Policy.from_config(inner)
    raise ValueError(f"Cannot deserialize a dtype policy from {config!r}: expected a dtype name or "
                     f"{{'class_name': 'Policy', 'config': {{'name': ...}}}}")


_GLOBAL = [None]


def global_policy():
    """The policy layers made with ``dtype=None`` take (``Policy(floatx())`` until ``set_global_policy``).

    Example:
        >>> global_policy()
        <Policy "float32">
    """
    return _GLOBAL[0] if _GLOBAL[0] is not None else Policy(backend.floatx())


def set_global_policy(policy):
    """Make ``policy`` (a Policy or its name; None: back to floatx) the default of layers made from now on.

    Example:
        >>> set_global_policy("mixed_float16"); kerasfront.layers.Dense(2).compute_dtype
        'float16'
        >>> set_global_policy(None)
    """
    if policy is None:
        _GLOBAL[0] = None
        return
    if not isinstance(policy, Policy):
        policy = Policy(policy)
    dtype = policy.compute_dtype
    if dtype is not None and dtype != "bfloat16" and (dtype == strings.STRING or np.dtype(dtype).kind != "f"):
        raise ValueError(f"set_global_policy can only be used to set the global policy to floating-point policies, "
                         f"such as \"float32\" and \"mixed_float16\", but got policy: {policy.name}")
    _GLOBAL[0] = policy


def layer_policy(dtype, who):
    """The policy for a layer's ``dtype`` argument: None (the global policy), a dtype or its name, a Policy, or a
    serialized Policy; a bad value is a TypeError naming ``who``.

    Example:
        >>> layer_policy("float64", "Dense(dtype=...)").variable_dtype
        'float64'
    """
    if dtype is None:
        return global_policy()
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, dict):
        try:
            return deserialize(dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{who}: {e}") from None
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    if isinstance(dtype, str) and dtype in _MIXED:
        return Policy(dtype)
    if strings.is_string_dtype(dtype):
        return Policy(strings.STRING)
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"{who}: dtype must be a dtype name such as 'float32' or a policy such as "
                        f"'mixed_float16', received {dtype!r}") from None
    return Policy(name)
