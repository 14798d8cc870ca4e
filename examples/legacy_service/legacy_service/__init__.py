"""Legacy inventory service: the FastAPI app that ``async-migrate`` is demonstrated on."""

__version__ = "1.4.2"
