"""The primitives still without a forward-mode (jvp) or a batching rule: the rule contract's to-do list.

Every primitive provides forward, vjp, jvp and a batching rule (autograd/primitive.py); today every
primitive of the two packages has all four, so both lists are empty. tests/autograd/test_rule_contract.py
fails when a primitive outside these lists lacks a rule (give it its rules: README 'How to add an op')
and when a listed one has gained its rule (remove the name), so the lists only shrink.
"""

PENDING_JVP = frozenset()

PENDING_BATCH = frozenset()
