"""One module per benchmarked system; each defines ``versions()`` and one maker per workload.

A maker is called as ``maker(quick=bool)`` in the system's own interpreter and returns a
``workloads.Bench`` (what to time, and how to warm up), or raises ``workloads.NotAvailable``. The
modules are loaded by file path from ``benchmarks/child.py``; they import ``workloads`` and
``numpy_reference`` by plain name.
"""
