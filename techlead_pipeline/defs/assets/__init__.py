"""Dagster assets: thin wiring over the library functions of each stage."""
