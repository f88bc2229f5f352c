"""Benchmarks: each prints figures and never passes or fails on time."""
