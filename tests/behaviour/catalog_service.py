"""Calls whose blocking the catalog must get right: an upload's file read by json, a function
that imports what it calls, loguru, one-time and repeated file reads of the standard library,
pydantic models of the project, methods of values whose type is evident."""

import json
import mimetypes
import time
from datetime import datetime, timezone
from typing import Union
from zoneinfo import ZoneInfo

from fastapi import FastAPI, UploadFile
from loguru import logger
from pydantic import BaseModel, RootModel

app = FastAPI()


class Item(BaseModel):
    name: str
    size: int = 0


Items = RootModel[Union[list[Item], Item]]


@app.post("/upload/json")
def upload_json(file: UploadFile, delay: float = 0.01):
    # json.load reads the spooled file, which is on disk once the upload passed 1 MB
    time.sleep(delay)
    return {"keys": len(json.load(file.file))}


@app.post("/upload/first-byte")
def upload_first_byte(file: UploadFile, delay: float = 0.01):
    time.sleep(delay)
    return {"first": file.file.read(1).decode()}


@app.get("/local-import")
def local_import(delay: float = 0.01):
    import time as clock

    from pydantic import TypeAdapter

    clock.sleep(delay)
    return TypeAdapter(list[int]).validate_python([1, 2])


@app.get("/logged")
def logged(delay: float = 0.01):
    logger.bind(route="logged").info("sleeping {}", delay)
    time.sleep(delay)
    return {"logged": True}


@app.get("/mime/{name}")
def mime(name: str, delay: float = 0.01):
    time.sleep(delay)
    return {"type": mimetypes.guess_type(name)[0]}


@app.get("/clock/{zone:path}")
def clock(zone: str, delay: float = 0.01):
    time.sleep(delay)
    moment = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    return {"local": moment.astimezone(ZoneInfo(zone)).isoformat()}


@app.post("/items")
def items(payload: dict, delay: float = 0.01):
    time.sleep(delay)
    parsed = Items.model_validate(payload["items"])
    return Item.model_validate({"name": "total", "size": 1}).model_dump() | {"parsed": parsed.model_dump()}


@app.get("/evident")
def evident(name: str | None = None, delay: float = 0.01):
    time.sleep(delay)
    label = name or ""
    parts = None
    if label:
        parts = label.split("-")
    words = parts or []
    words.append(label.upper())
    return {"words": words, "empty": not label}
