"""Price quotes, backed by the upstream catalogue service."""

from typing import Annotated

import requests
from fastapi import APIRouter, Depends, HTTPException

from legacy_service.config import Settings, get_settings
from legacy_service.services.formatting import format_price

router = APIRouter(prefix="/quotes", tags=["quotes"])


@router.get("/{item_id}")
def get_quote(item_id: int, settings: Annotated[Settings, Depends(get_settings)]):
    # the catalogue is the source of truth for names and prices
    try:
        resp = requests.get(f"{settings.upstream_url}/items/{item_id}", timeout=5)
        resp.raise_for_status()
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            raise HTTPException(status_code=404, detail="item not found") from exc
        raise HTTPException(status_code=502, detail="catalogue error") from exc
    except requests.RequestException as exc:
        raise HTTPException(status_code=502, detail="catalogue unreachable") from exc
    item = resp.json()
    return {"item": item, "display_price": format_price(item["price_cents"])}
