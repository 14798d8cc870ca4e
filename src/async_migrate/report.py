"""The plan and the outcome, rendered for people (text on stderr) and machines (JSON)."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .diff import display_path
from .plan import Finding, FunctionDecision, Verdict
from .rules import Rule
from .runner import RunResult
from .source import split_lines

_REWRITES = {
    Rule.ASYNC_SLEEP,
    Rule.THREADPOOL_CALL,
    Rule.THREADPOOL_BLOCK,
    Rule.AWAIT_CALL,
    Rule.HTTP_CLIENT,
    Rule.HTTP_THREADPOOL,
}


_THREADPOOL = (Rule.THREADPOOL_CALL, Rule.THREADPOOL_BLOCK, Rule.HTTP_THREADPOOL)


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
    for where, why in result.plan.unresolved:
        lines.append(f"{display_path(where.path)}:{where.line}: route registration not resolved: {why}")
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
    if result.without_fastapi:
        files = result.files_checked
        return f"{files} file{'s' * (files != 1)} checked: no FastAPI code in the project, nothing to do."
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
    changed = len(result.changed_paths)
    parts = [
        f"{changed} file{'s' * (changed != 1)} {verb}, {result.files_checked - changed} unchanged",
        f"{verdicts[Verdict.CONVERTED]} converted to async",
        f"{verdicts[Verdict.FIXED]} async fixed",
        f"{verdicts[Verdict.KEPT_SYNC]} kept sync"
        + (f" ({', '.join(f'{n} {title}' for title, n in reasons.most_common())})" if reasons else ""),
        f"{sum(rewrites[rule] for rule in _THREADPOOL)} calls moved to the threadpool",
        f"{rewrites[Rule.ASYNC_SLEEP]} sleeps made async",
        f"{rewrites[Rule.HTTP_CLIENT]} HTTP calls made async",
    ]
    if result.plan.unresolved:
        unresolved = len(result.plan.unresolved)
        parts.append(f"{unresolved} route registration{'s' * (unresolved != 1)} not resolved")
    if result.errors:
        parts.append(f"{len(result.errors)} file{'s' * (len(result.errors) != 1)} failed")
    line = "; ".join(parts) + "."
    for name in result.undeclared:
        line += f"\nnote: the rewritten code imports {name}; add it to the project's dependencies."
    return line


def json_report(result: RunResult) -> str:
    """A stable document: one record per function decision and per file error."""
    document: dict[str, Any] = {
        "version": 1,
        "summary": {
            "files_checked": result.files_checked,
            "files_changed": [display_path(path) for path in result.changed_paths],
            "errors": len(result.errors),
            "undeclared_dependencies": list(result.undeclared),
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
        "rewrites": _rewrite_records(result),
        "unresolved_registrations": [
            {"file": display_path(where.path), "line": where.line, "message": why}
            for where, why in result.plan.unresolved
        ],
        "errors": [
            {"file": display_path(error.path), "line": error.line, "message": error.reason}
            for error in result.errors
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _rewrite_records(result: RunResult) -> list[dict[str, Any]]:
    """One record per changed run of lines: where, which rule, and the text that replaces it."""
    decisions = {id(decision): decision for decision in result.plan.decisions}
    records = []
    for owner, hunks in _fixes(result).items():
        decision = decisions[owner]
        for hunk in hunks:
            inside = [
                f for f in decision.findings if hunk.start <= f.location.line < max(hunk.end, hunk.start + 1)
            ]
            if inside:
                rule, message = inside[0].rule, inside[0].message
            elif hunk.start <= decision.location.line < max(hunk.end, hunk.start + 1):
                rule, message = Rule.MAKE_ASYNC, f"{decision.name} becomes async def"
            else:
                rule, message = Rule.MAKE_ASYNC, f"imports the rewrites of {decision.name} need"
            records.append(
                {
                    "file": display_path(hunk.path),
                    "line": hunk.start,
                    "column": 1,
                    "end_line": hunk.end,
                    "end_column": 1,
                    "rule": rule.code,
                    "function": decision.qualname,
                    "message": message,
                    "replacement": hunk.text,
                }
            )
    return sorted(records, key=lambda record: (record["file"], record["line"]))


def github_report(result: RunResult) -> str:
    """GitHub Actions workflow commands: annotations on the lines of the pull request.

    Rewrites are notices, functions kept sync and registrations not resolved are warnings, files
    that failed are errors.
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
    for where, why in result.plan.unresolved:
        title = "route registration not resolved"
        lines.append(_workflow_command("warning", display_path(where.path), where.line, title, why))
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


@dataclass(frozen=True)
class _Hunk:
    """Lines ``start`` to ``end`` (1-based, ``end`` exclusive) of a file become ``text``."""

    path: Path
    start: int
    end: int
    text: str


def _hunks(result: RunResult) -> list[_Hunk]:
    found = []
    for change in result.changes:
        old, new = split_lines(change.source.text), split_lines(change.new_text)
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                found.append(_Hunk(change.path, i1 + 1, i2 + 1, "".join(new[j1:j2])))
    return found


def _fixes(result: RunResult) -> dict[int, list[_Hunk]]:
    """Each rewritten hunk, given to the decision it belongs to: the function whose lines it
    touches, else (a new import) the first function rewritten in that file."""
    rewritten = [d for d in result.plan.decisions if d.verdict in {Verdict.CONVERTED, Verdict.FIXED}]
    by_decision: dict[int, list[_Hunk]] = {}
    for hunk in _hunks(result):
        in_file = [d for d in rewritten if d.location.path == hunk.path]
        owner = next(
            (
                d
                for d in in_file
                if d.location.line <= max(hunk.start, hunk.end - 1) and hunk.start <= d.end_line
            ),
            in_file[0] if in_file else None,
        )
        if owner is not None:
            by_decision.setdefault(id(owner), []).append(hunk)
    return by_decision


def _level(decision: FunctionDecision) -> str:
    return "warning" if decision.verdict is Verdict.KEPT_SYNC else "note"


def _headline(decision: FunctionDecision) -> tuple[Rule, str] | None:
    """The rule a review tool files a decision under, and its one-line message; ``None`` when
    there is nothing to say (no rewrite, only notes on unchecked calls)."""
    findings = [f for f in _unique(decision.findings) if f.rule is not Rule.UNCHECKED_IN_ASYNC]
    if decision.verdict is Verdict.CONVERTED:
        rule = Rule.MAKE_ASYNC
    elif findings:
        rule = findings[0].rule
    else:
        return None
    message = f"{decision.name} ({decision.role}): {decision.verdict.value}"
    return rule, message + "".join(f"; {f.rule.code} {f.message}" for f in findings)


def sarif_report(result: RunResult) -> str:
    """SARIF 2.1.0: one result per decision, rewrites carrying their replacements as ``fixes``."""
    rules = list(Rule)
    fixes = _fixes(result)
    results = []
    for decision in result.plan.decisions:
        headline = _headline(decision)
        if headline is None:
            continue
        rule, text = headline
        entry: dict[str, Any] = {
            "ruleId": rule.code,
            "ruleIndex": rules.index(rule),
            "level": _level(decision),
            "message": {"text": text},
            "locations": [_sarif_location(decision.location.path, decision.location.line)],
        }
        hunks = fixes.get(id(decision), [])
        if hunks:
            entry["fixes"] = [
                {
                    "description": {"text": f"{decision.name}: {decision.verdict.value}"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": display_path(hunks[0].path)},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": hunk.start,
                                        "startColumn": 1,
                                        "endLine": hunk.end,
                                        "endColumn": 1,
                                    },
                                    "insertedContent": {"text": hunk.text},
                                }
                                for hunk in hunks
                            ],
                        }
                    ],
                }
            ]
        results.append(entry)
    for error in result.errors:
        results.append(
            {
                "ruleId": "AM000",
                "level": "error",
                "message": {"text": error.reason},
                "locations": [_sarif_location(error.path, error.line or 1)],
            }
        )
    driver = {
        "name": "async-migrate",
        "version": __version__,
        "rules": [
            {
                "id": rule.code,
                "name": rule.title,  # type: ignore[attr-defined]
                "shortDescription": {"text": rule.title},  # type: ignore[attr-defined]
                "fullDescription": {"text": rule.explanation},  # type: ignore[attr-defined]
            }
            for rule in rules
        ],
    }
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_location(path: Path, line: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": display_path(path)},
            "region": {"startLine": line},
        }
    }


def rdjson_report(result: RunResult) -> str:
    """reviewdog's rdjson: diagnostics whose ``suggestions`` become GitHub suggested changes."""
    fixes = _fixes(result)
    diagnostics = []
    for decision in result.plan.decisions:
        headline = _headline(decision)
        if headline is None:
            continue
        rule, message = headline
        diagnostic: dict[str, Any] = {
            "message": message,
            "location": {
                "path": display_path(decision.location.path),
                "range": {"start": {"line": decision.location.line}},
            },
            "severity": "WARNING" if decision.verdict is Verdict.KEPT_SYNC else "INFO",
            "code": {"value": rule.code},
        }
        hunks = fixes.get(id(decision), [])
        if hunks:
            diagnostic["suggestions"] = [
                {
                    "range": {"start": {"line": h.start, "column": 1}, "end": {"line": h.end, "column": 1}},
                    "text": h.text,
                }
                for h in hunks
            ]
        diagnostics.append(diagnostic)
    for error in result.errors:
        diagnostics.append(
            {
                "message": error.reason,
                "location": {"path": display_path(error.path), "range": {"start": {"line": error.line or 1}}},
                "severity": "ERROR",
            }
        )
    return json.dumps({"source": {"name": "async-migrate"}, "diagnostics": diagnostics}, indent=2) + "\n"
