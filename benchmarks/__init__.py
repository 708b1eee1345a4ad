"""linkyflux's benchmarks (issue #7): run them all with ``python -m benchmarks [--quick]``.

Each benchmark measures linkyflux and, in the same run, a baseline, and prints one line with
both figures, their ratio and the target. See ``benchmarks/README.md``.
"""
