"""Operational endpoints: health, a slow probe, runtime version."""

import subprocess
import sys
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from legacy_service import __version__

router = APIRouter(tags=["ops"])


@router.get("/health")
def health():
    # load balancer probe, keep it cheap
    return {"status": "ok", "service": "legacy-service", "version": __version__}


@router.get("/slow")
def slow(delay: Annotated[float, Query(ge=0, le=2)] = 0.05):
    # simulates the old upstream latency; used by the latency dashboards
    time.sleep(delay)
    return {"slept": delay}


@router.get("/version")
def runtime_version():
    # ask the interpreter itself, the way the ops runbook does
    try:
        proc = subprocess.run(
            [sys.executable, "--version"], capture_output=True, text=True, check=True, timeout=10
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise HTTPException(status_code=500, detail="could not query the runtime") from exc
    return {"runtime": proc.stdout.strip(), "service_version": __version__}
