"""Benchmarks of Tukiverkko's hot paths (issue 12): ``make bench`` runs them."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root: where the benchmark data and the results live."""
