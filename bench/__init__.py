"""Reproducible benchmarks of Blockbell against baselines run in the same process."""
