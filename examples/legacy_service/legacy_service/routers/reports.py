"""Reports over the documents in DATA_DIR."""

from typing import Annotated

from fastapi import APIRouter, Depends

from legacy_service.config import Settings, get_settings
from legacy_service.services.reports import build_report

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary")
def report_summary(settings: Annotated[Settings, Depends(get_settings)]):
    # same numbers as the nightly job writes, computed on demand
    return build_report(settings.data_dir)
