"""Pure string helpers (no I/O)."""


def format_price(cents: int, currency: str = "EUR") -> str:
    # 1250 -> "12.50 EUR"
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def human_size(num_bytes: int) -> str:
    # 1536 -> "1.5 KiB"
    if num_bytes < 1024:
        return f"{num_bytes} B"
    if num_bytes < 1024 * 1024:
        return f"{num_bytes / 1024:.1f} KiB"
    return f"{num_bytes / (1024 * 1024):.1f} MiB"


def is_safe_name(name: str) -> bool:
    # plain file names only: no directories, no hidden files, no "..", no drive letters
    if not name or len(name) > 100:
        return False
    if "/" in name or "\\" in name or ":" in name or "\x00" in name:
        return False
    return not name.startswith(".") and ".." not in name
