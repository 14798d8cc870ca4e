"""Password hashing for the old account import tool."""

import hashlib

from fastapi import APIRouter
from pydantic import BaseModel, Field

router = APIRouter(prefix="/hash", tags=["accounts"])

ITERATIONS = 100_000


class HashRequest(BaseModel):
    password: str = Field(min_length=1, max_length=256)
    salt: str = Field(default="legacy-service", min_length=1, max_length=64)


@router.post("")
def hash_password(body: HashRequest):
    # same parameters as the accounts table was created with; do not change
    salt = body.salt.encode()
    digest = hashlib.pbkdf2_hmac("sha256", body.password.encode(), salt, ITERATIONS)
    return {"algorithm": "pbkdf2_sha256", "iterations": ITERATIONS, "hash": digest.hex()}
