"""Static documents served from DATA_DIR."""

import os
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from legacy_service.config import Settings, get_settings
from legacy_service.services.formatting import is_safe_name

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get("/{name}")
def read_document(name: str, settings: Annotated[Settings, Depends(get_settings)]):
    # never let a caller walk out of DATA_DIR
    if not is_safe_name(name):
        raise HTTPException(status_code=400, detail="invalid document name")
    path = os.path.join(settings.data_dir, name)
    if not os.path.exists(path):
        raise HTTPException(status_code=404, detail="document not found")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return {"name": name, "lines": len(text.splitlines()), "text": text}
