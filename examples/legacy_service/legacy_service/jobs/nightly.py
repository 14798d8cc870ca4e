"""Nightly batch job: writes the documents report as JSON (cron, 02:00).

Run with ``python -m legacy_service.jobs.nightly [--output report.json]``.
"""

import argparse
import json
import sys

from legacy_service.config import get_settings
from legacy_service.services.reports import build_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the nightly documents report.")
    parser.add_argument("--output", help="file to write; stdout when omitted")
    args = parser.parse_args(argv)

    settings = get_settings()
    # same helper as GET /reports/summary, so the numbers always agree
    report = build_report(settings.data_dir)
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
