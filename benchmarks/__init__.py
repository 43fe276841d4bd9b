"""Benchmarks: ratios against stated floors (see README)."""
