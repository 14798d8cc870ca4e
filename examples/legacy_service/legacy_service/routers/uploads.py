"""Upload check: store the file in a scratch directory and report its size."""

import os
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from legacy_service.dependencies import scratch_dir
from legacy_service.services.formatting import human_size, is_safe_name

router = APIRouter(prefix="/uploads", tags=["uploads"])


class Upload(BaseModel):
    filename: str
    content: str = Field(max_length=1_000_000)


@router.post("")
def check_upload(body: Upload, workdir: Annotated[str, Depends(scratch_dir)]):
    # write it out for real: the size on disk is what the storage quota counts
    if not is_safe_name(body.filename):
        raise HTTPException(status_code=400, detail="invalid file name")
    path = os.path.join(workdir, body.filename)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(body.content)
    size = os.path.getsize(path)
    return {"filename": body.filename, "size": size, "size_human": human_size(size)}
