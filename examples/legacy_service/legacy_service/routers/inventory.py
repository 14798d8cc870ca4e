"""Stock levels, answered from a per-request SQLite snapshot."""

import sqlite3
from typing import Annotated

from fastapi import APIRouter, Query

from legacy_service.services.formatting import format_price

router = APIRouter(prefix="/inventory", tags=["inventory"])

# nightly export of the warehouse system: (sku, name, quantity, price_cents)
STOCK = [
    ("A-100", "widget", 12, 1250),
    ("A-200", "gadget", 0, 4999),
    ("B-300", "sprocket", 250, 75),
    ("C-400", "flux capacitor", 3, 1_210_000),
]


@router.get("")
def list_inventory(min_quantity: Annotated[int, Query(ge=0)] = 0):
    # one connection for the whole request: sqlite3 objects must stay on the thread that made them
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            "CREATE TABLE stock (sku TEXT PRIMARY KEY, name TEXT, quantity INTEGER, price INTEGER)"
        )
        conn.executemany("INSERT INTO stock VALUES (?, ?, ?, ?)", STOCK)
        conn.commit()
        rows = conn.execute(
            "SELECT sku, name, quantity, price FROM stock WHERE quantity >= ? ORDER BY sku",
            (min_quantity,),
        ).fetchall()
        total = conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE quantity >= ?", (min_quantity,)
        ).fetchone()[0]
    finally:
        conn.close()
    items = [
        {"sku": sku, "name": name, "quantity": qty, "price": format_price(price)}
        for sku, name, qty, price in rows
    ]
    return {"items": items, "total_quantity": total}
