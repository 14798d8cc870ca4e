"""Batch jobs, run from cron: ``python -m legacy_service.jobs.nightly``."""
