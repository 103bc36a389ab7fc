"""The global random generator behind initializers, dropout and shuffling (reset by set_random_seed).

Example:
    >>> from kerasfront.random_state import set_seed, generator
    >>> set_seed(0); a = generator().random()
    >>> set_seed(0); a == generator().random()
    True
"""
import random

import numpy as np

_GEN = [np.random.default_rng()]


def set_seed(seed):
    """Seed Python's, numpy's and kerasfront's generators so that runs repeat exactly.

    Example:
        >>> random_state.set_seed(1); a = random_state.generator().random()
        >>> random_state.set_seed(1); a == random_state.generator().random()
        True
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed(seed): expected a non-negative integer, received {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    # NOTE: reseeded in place (the stream of np.random.default_rng(seed)), so that the global generator stays one
    # object: a captured training step draws its dropout masks from the generator object it was captured with
    _GEN[0].bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state


def generator():
    """The current global ``np.random.Generator``.

    Example:
        >>> random_state.generator().normal(size=(2, 3)).shape
        (2, 3)
    """
    return _GEN[0]


def make_generator(seed=None):
    """A generator for one object: seeded when ``seed`` is given, else drawn from the global one.

    Example:
        >>> random_state.make_generator(7).random() == random_state.make_generator(7).random()
        True
    """
    if seed is None:
        return np.random.default_rng(_GEN[0].integers(0, 2 ** 63))
    return np.random.default_rng(int(seed))


def get_state():
    """The global generator's state as JSON text (``set_state`` takes it back): BackupAndRestore stores it so
    that a resumed run shuffles as the uninterrupted one would have.

    Example:
        >>> text = random_state.get_state(); a = random_state.generator().random()
        >>> random_state.set_state(text); a == random_state.generator().random()
        True
    """
    import json
    return json.dumps(_GEN[0].bit_generator.state)


def set_state(text):
    """Put the global generator back in the state ``get_state`` gave (a ValueError for a malformed text).

    Example:
        >>> random_state.set_state(random_state.get_state())
    """
    import json
    try:
        state = json.loads(text)
        gen = np.random.Generator(getattr(np.random, state["bit_generator"])())
        gen.bit_generator.state = state
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ValueError(f"random_state.set_state: expected the text random_state.get_state() gave, received "
                         f"{str(text)[:60]!r} ({e})") from None
    if type(_GEN[0].bit_generator) is type(gen.bit_generator):
        _GEN[0].bit_generator.state = gen.bit_generator.state     # in place: one object (see set_seed)
    else:
        _GEN[0] = gen
