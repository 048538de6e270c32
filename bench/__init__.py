"""Benchmarks: each prints a table, writes JSON and a PNG plot under bench/results/."""
