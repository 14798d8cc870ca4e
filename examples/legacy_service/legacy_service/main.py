"""Application entry point: ``uvicorn legacy_service.main:app``."""

from fastapi import FastAPI

from legacy_service import __version__
from legacy_service.routers import documents, hashing, inventory, ops, quotes, reports, uploads

app = FastAPI(title="Legacy inventory service", version=__version__)

app.include_router(ops.router)
app.include_router(quotes.router)
app.include_router(documents.router)
app.include_router(hashing.router)
app.include_router(reports.router)
app.include_router(uploads.router)
app.include_router(inventory.router)
