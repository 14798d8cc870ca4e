"""Swaps: the kinds of rewrite, one folder each, registered in ``registry.py`` (docs/architecture.md)."""
