"""Benchmarks for ptoffact: a synthetic source generator and the benchmark runner."""
