"""Helpers shared by the routers and the batch jobs."""
