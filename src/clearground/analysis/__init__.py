"""Numerical engine: arrays of geometries in, arrays out; no per-feature loops on hot paths."""
