"""Side-by-side speed and memory of kerasfront/autograd, a hand-written numpy lower bound and peers.

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``); see ``benchmarks/README.md``.
"""
