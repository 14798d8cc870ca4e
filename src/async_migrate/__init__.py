"""async-migrate: move FastAPI services from blocking ``def`` endpoints to ``async def``."""

__version__ = "0.1.0"
