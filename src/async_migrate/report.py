"""The plan and the outcome, rendered for people (text on stderr) and machines (JSON)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .diff import display_path
from .plan import Finding, FunctionDecision, Verdict
from .rules import Rule
from .runner import RunResult

_REWRITES = {Rule.ASYNC_SLEEP, Rule.THREADPOOL_CALL, Rule.THREADPOOL_BLOCK, Rule.AWAIT_CALL}


def _where(decision: FunctionDecision) -> str:
    return f"{display_path(decision.location.path)}:{decision.location.line}"


def text_report(result: RunResult, *, verb: str, verbose: bool) -> str:
    """Why functions stayed as they were (and with ``verbose`` every decision), then a summary."""
    lines: list[str] = []
    for decision in result.plan.decisions:
        notes_only = all(finding.rule is Rule.UNCHECKED_IN_ASYNC for finding in decision.findings)
        unfixable = decision.verdict is Verdict.UNCHANGED and not notes_only
        if decision.verdict is Verdict.KEPT_SYNC or unfixable or verbose:
            lines.append(f"{_where(decision)}: {decision.name} ({decision.role}): {decision.verdict.value}")
            lines.extend(
                f"    {finding.rule.code} {_message(finding)}" for finding in _unique(decision.findings)
            )
    for error in result.errors:
        where = display_path(error.path) + (f":{error.line}" if error.line else "")
        lines.append(f"error: {where}: {error.reason}")
    lines.append(summary(result, verb=verb))
    return "\n".join(lines) + "\n"


def _message(finding: Finding) -> str:
    """The message, led by its line unless it names its own place (``called from x.py:12``)."""
    if str(finding.location) in finding.message:
        return finding.message
    return f"line {finding.location.line}: {finding.message}"


def _unique(findings: list) -> list:
    seen, out = set(), []
    for finding in findings:
        key = (finding.rule, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def summary(result: RunResult, *, verb: str) -> str:
    verdicts = Counter(decision.verdict for decision in result.plan.decisions)
    rewrites = Counter(
        finding.rule
        for decision in result.plan.decisions
        if decision.verdict in {Verdict.CONVERTED, Verdict.FIXED}
        for finding in decision.findings
        if finding.rule in _REWRITES
    )
    reasons = Counter(
        finding.rule.title  # type: ignore[attr-defined]
        for decision in result.plan.decisions
        if decision.verdict is Verdict.KEPT_SYNC
        for finding in _unique(decision.findings)
    )
    changed = len(result.changes)
    parts = [
        f"{changed} file{'s' * (changed != 1)} {verb}, {result.files_checked - changed} unchanged",
        f"{verdicts[Verdict.CONVERTED]} converted to async",
        f"{verdicts[Verdict.FIXED]} async fixed",
        f"{verdicts[Verdict.KEPT_SYNC]} kept sync"
        + (f" ({', '.join(f'{n} {title}' for title, n in reasons.most_common())})" if reasons else ""),
        f"{rewrites[Rule.THREADPOOL_CALL] + rewrites[Rule.THREADPOOL_BLOCK]} calls moved to the threadpool",
        f"{rewrites[Rule.ASYNC_SLEEP]} sleeps made async",
    ]
    if result.errors:
        parts.append(f"{len(result.errors)} file{'s' * (len(result.errors) != 1)} failed")
    return "; ".join(parts) + "."


def json_report(result: RunResult) -> str:
    """A stable document: one record per function decision and per file error."""
    document: dict[str, Any] = {
        "version": 1,
        "summary": {
            "files_checked": result.files_checked,
            "files_changed": [display_path(change.path) for change in result.changes],
            "errors": len(result.errors),
        },
        "decisions": [
            {
                "function": decision.qualname,
                "file": display_path(decision.location.path),
                "line": decision.location.line,
                "role": decision.role,
                "verdict": decision.verdict.value,
                "findings": [
                    {
                        "rule": finding.rule.code,
                        "name": finding.rule.title,  # type: ignore[attr-defined]
                        "message": finding.message,
                        "file": display_path(finding.location.path),
                        "line": finding.location.line,
                    }
                    for finding in decision.findings
                ],
            }
            for decision in result.plan.decisions
        ],
        "errors": [
            {"file": display_path(error.path), "line": error.line, "message": error.reason}
            for error in result.errors
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def github_report(result: RunResult) -> str:
    """GitHub Actions workflow commands: annotations on the lines of the pull request.

    Rewrites are notices, functions kept sync are warnings, files that failed are errors.
    """
    lines = []
    for decision in result.plan.decisions:
        level = "warning" if decision.verdict is Verdict.KEPT_SYNC else "notice"
        for finding in _unique(decision.findings):
            if finding.rule is Rule.UNCHECKED_IN_ASYNC:
                continue
            title = f"{finding.rule.code} {finding.rule.title}"  # type: ignore[attr-defined]
            message = f"{decision.name}: {decision.verdict.value}: {finding.message}"
            # on the function's own file: a finding elsewhere (its caller) is named in the message
            where = finding.location if finding.location.path == decision.location.path else decision.location
            lines.append(_workflow_command(level, display_path(where.path), where.line, title, message))
    for error in result.errors:
        lines.append(
            _workflow_command("error", display_path(error.path), error.line, "async-migrate", error.reason)
        )
    return "".join(f"{line}\n" for line in lines)


def _workflow_command(level: str, file: str, line: int | None, title: str, message: str) -> str:
    properties = {"file": file, "line": str(line) if line else None, "title": title}
    rendered = ",".join(f"{key}={_escape(value, True)}" for key, value in properties.items() if value)
    return f"::{level} {rendered}::{_escape(message, False)}"


def _escape(value: str, is_property: bool) -> str:
    """GitHub's escaping for workflow commands (properties also escape ``:`` and ``,``)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if is_property else value
