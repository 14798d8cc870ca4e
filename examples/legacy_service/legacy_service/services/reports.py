"""Report building, used by GET /reports/summary and by the nightly job."""

import os
import time

# the data share is slow and rate-limited; the old NFS box fell over without this pause
READ_PAUSE = 0.01


def build_report(data_dir: str, pause: float = READ_PAUSE) -> dict:
    files = []
    total_words = 0
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".txt"):
            continue
        time.sleep(pause)
        with open(os.path.join(data_dir, name), encoding="utf-8") as fh:
            text = fh.read()
        words = len(text.split())
        total_words += words
        files.append({"name": name, "lines": len(text.splitlines()), "words": words})
    return {"files": files, "file_count": len(files), "total_words": total_words}
