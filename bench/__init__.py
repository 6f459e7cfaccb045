"""Benchmarks of the product on a service desk's worth of data: `python -m bench` (`make bench`).

Every figure is reported next to a ceiling measured in the same run, because absolute times drift
on shared machines. See docs/performance.md.
"""
