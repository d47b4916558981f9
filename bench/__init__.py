"""Benchmarks: run by hand or with ``make bench``; never timed assertions in the test suite."""
