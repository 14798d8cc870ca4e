"""Async-twin swap (AM104): a call the configuration gives an exact async twin awaits the twin."""
