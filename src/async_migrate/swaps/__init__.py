"""Swaps: an object built in one place and used in many, migrated to its async twin as a whole."""
