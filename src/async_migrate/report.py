"""The plan and the outcome, rendered for people (text on stderr) and machines (JSON)."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .decisive import decisive_first
from .diff import display_path
from .plan import Finding, FunctionDecision, Verdict
from .result import RunResult
from .rules import CALL_REWRITES, TALLIES, Rule
from .source import split_lines


def _where(decision: FunctionDecision) -> str:
    return f"{display_path(decision.location.path)}:{decision.location.line}"


def _title(decision: FunctionDecision) -> str:
    return f"{decision.name} ({decision.role}): {decision.verdict.value}"


def text_report(result: RunResult, *, verb: str, verbose: bool) -> str:
    """Why functions stayed as they were, the decisive reason first (and with ``verbose`` every
    decision, with why each conversion is safe), then a summary."""
    lines: list[str] = []
    for decision in result.plan.decisions:
        notes_only = all(finding.rule is Rule.UNCHECKED_IN_ASYNC for finding in decision.findings)
        unfixable = decision.verdict is Verdict.UNCHANGED and not notes_only
        if decision.verdict is Verdict.KEPT_SYNC or unfixable or verbose:
            lines.append(f"{_where(decision)}: {_title(decision)}")
            if decision.verdict is Verdict.CONVERTED:
                lines.append(f"    safe: {_why_safe(decision)}")
            lines.extend(f"    {finding.rule.code} {_message(finding)}" for finding in _said(decision))
    lines.extend(_unresolved_lines(result))
    for error in result.errors:
        where = display_path(error.path) + (f":{error.line}" if error.line else "")
        lines.append(f"error: {where}: {error.reason}")
    lines.append(summary(result, verb=verb))
    return "\n".join(lines) + "\n"


def decisions_outline(result: RunResult) -> str:
    """Every function's verdict and the rules behind it, the decisive one first, a line each,
    then the registrations not resolved: what a fixture keeps beside its expected output, so a
    changed decision shows in review. Without the findings' messages, which name files by the
    paths the tool was given, and without the summary."""
    lines = []
    for decision in result.plan.decisions:
        rules = dict.fromkeys(finding.rule for finding in _said(decision))
        named = ", ".join(f"{rule.code} {rule.title}" for rule in rules)  # type: ignore[attr-defined]
        lines.append(f"{_where(decision)}: {_title(decision)}" + (f": {named}" if named else ""))
    lines.extend(_unresolved_lines(result))
    return "".join(f"{line}\n" for line in lines)


def _unresolved_lines(result: RunResult) -> list[str]:
    return [
        f"{display_path(where.path)}:{where.line}: route registration not resolved: {why}"
        for where, why in result.plan.unresolved
    ]


def _why_safe(decision: FunctionDecision) -> str:
    """Why a converted function neither blocks the loop nor is left un-awaited."""
    awaited = "its callers are all async and await it" if decision.role == "helper" else "FastAPI awaits it"
    if any(f.rule in CALL_REWRITES for f in decision.findings):
        return f"{awaited}; the calls below are the only ones in it that can block, and each leaves the loop"
    return f"{awaited}; no call in it can block"


def _said(decision: FunctionDecision) -> list[Finding]:
    """The findings to show, once each, the one that decides first."""
    return decisive_first(_unique(decision.findings))


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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def summary(result: RunResult, *, verb: str) -> str:
    """Files, then functions (each counted once), then calls; then, on a line of their own, the
    reasons functions were kept sync, each with the number of functions it applies to."""
    if result.without_fastapi:
        return (
            f"{_count(result.files_checked, 'file')} checked: no FastAPI code in the project, nothing to do."
        )
    verdicts = Counter(decision.verdict for decision in result.plan.decisions)
    rewrites = Counter(
        finding.rule
        for decision in result.plan.decisions
        if decision.verdict in {Verdict.CONVERTED, Verdict.FIXED}
        for finding in decision.findings
        if finding.rule in CALL_REWRITES
    )
    reasons = Counter(
        rule.title  # type: ignore[attr-defined]
        for decision in result.plan.decisions
        if decision.verdict is Verdict.KEPT_SYNC
        for rule in dict.fromkeys(finding.rule for finding in _said(decision))
    )
    changed = len(result.changed_paths)
    parts = [
        f"{_count(changed, 'file')} {verb}, {result.files_checked - changed} unchanged",
        f"functions: {verdicts[Verdict.CONVERTED]} converted to async, "
        f"{verdicts[Verdict.FIXED]} async fixed, {verdicts[Verdict.KEPT_SYNC]} kept sync",
        ", ".join(
            f"{_count(n, tally.noun)} {tally.done}"
            for tally in TALLIES
            if (n := sum(rewrites[rule] for rule in tally.rules)) or tally.always
        ),
    ]
    if result.plan.unresolved:
        unresolved = len(result.plan.unresolved)
        parts.append(f"{unresolved} route registration{'s' * (unresolved != 1)} not resolved")
    if result.errors:
        parts.append(f"{_count(len(result.errors), 'file')} failed")
    line = "; ".join(parts) + "."
    if reasons:
        listed = ", ".join(f"{n} {title}" for title, n in reasons.most_common())
        line += f"\nkept sync, functions per reason (one can have several): {listed}."
    if result.plan.sync_sessions:
        line += (
            f"\nnote: {_count(result.plan.sync_sessions, 'function')} kept sync use a sync database session "
            "(SQLAlchemy/SQLModel); --db-session async migrates sessions with their engine."
        )
    for name in result.undeclared:
        line += f"\nnote: the rewritten code needs {name}; add it to the project's dependencies."
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
    return [
        {
            "file": display_path(note.hunk.path),
            "line": note.hunk.start,
            "column": 1,
            "end_line": note.hunk.end,
            "end_column": 1,
            "rule": note.rule.code,
            "function": note.decision.qualname if note.decision else None,
            "message": note.entries[0][1],
            "replacement": note.hunk.text,
        }
        for note in _notes(result)
    ]


def github_report(result: RunResult) -> str:
    """GitHub Actions workflow commands: one annotation per function on its ``def`` line, its
    findings one a line, the decisive one first and in the title (GitHub shows a limited number
    of annotations per step, so a big service must not get one per call).

    Rewrites are notices, functions kept sync and registrations not resolved are warnings, files
    that failed are errors.
    """
    lines = []
    for decision in result.plan.decisions:
        headline = _headline(decision)
        if headline is None:
            continue
        rule, findings = headline
        level = "warning" if decision.verdict is Verdict.KEPT_SYNC else "notice"
        title = f"{rule.code} {rule.title}"  # type: ignore[attr-defined]
        message = "\n".join(
            [_title(decision)] + [f"{finding.rule.code} {_message(finding)}" for finding in findings]
        )
        where = decision.location
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
    """Lines ``start`` to ``end`` (1-based, ``end`` exclusive) of a file become ``text``.

    Neither side is empty and ``text`` is never one blank line, so the hunk is also a line-wise
    suggested change (lines ``start`` to ``end - 1`` become ``lines``): GitHub cannot suggest an
    insertion between lines, and reads an empty suggestion as deleting the lines.
    """

    path: Path
    start: int
    end: int
    text: str
    lines: str
    """``text`` without the line ending the last replaced line keeps."""


def _hunks(result: RunResult) -> list[_Hunk]:
    return [
        hunk
        for change in result.changes
        for hunk in _file_hunks(change.path, change.source.text, change.new_text)
    ]


def _file_hunks(path: Path, old_text: str, new_text: str) -> list[_Hunk]:
    old, new = split_lines(old_text), split_lines(new_text)
    found = []
    for i1, i2, j1, j2 in _spans(old, new):
        text = "".join(new[j1:j2])
        kept = _eol(old[i2 - 1])
        lines = text[: len(text) - len(kept)] if kept and text.endswith(kept) else text
        found.append(_Hunk(path, i1 + 1, i2 + 1, text, lines))
    return found


def _eol(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _spans(old: list[str], new: list[str]) -> list[list[int]]:
    """difflib's changed runs ``[i1, i2, j1, j2]``, each widened by the unchanged lines around it
    (never into another run) until it replaces a line with a line that is not blank and ends as
    the last line it replaces does (that ending is kept), and merged with its neighbour where
    that is not enough."""

    def ends_alike(span: list[int]) -> bool:
        return span[2] < span[3] and _eol(new[span[3] - 1]) == _eol(old[span[1] - 1])

    def postable(span: list[int]) -> bool:
        blank = "".join(new[span[2] : span[3]]).strip("\r\n") == ""
        return span[0] < span[1] and not blank and ends_alike(span)

    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changed = [list(op[1:]) for op in matcher.get_opcodes() if op[0] != "equal"]
    spans: list[list[int]] = []
    for n, span in enumerate(changed):
        low = spans[-1][1] if spans else 0
        high = changed[n + 1][0] if n + 1 < len(changed) else len(old)
        while not postable(span) and (span[0] > low or span[1] < high):
            # a line after it fixes a changed ending; else a line before, then after
            mismatched = span[0] < span[1] and span[2] < span[3] and not ends_alike(span)
            if span[1] < high and (span[0] == low or mismatched):
                span[1], span[3] = span[1] + 1, span[3] + 1
            else:
                span[0], span[2] = span[0] - 1, span[2] - 1
        if spans and not (postable(spans[-1]) and postable(span)):  # they touch: one run
            spans[-1][1], spans[-1][3] = span[1], span[3]
        else:
            spans.append(span)
    return spans


@dataclass(frozen=True)
class _Note:
    """A hunk with the function it belongs to and what it does there: ``(rule, message)`` for
    each rewrite inside it, the first being the one it is filed under. A hunk outside every
    rewritten function (imports) belongs to the file's first one, if any."""

    hunk: _Hunk
    decision: FunctionDecision | None
    entries: list[tuple[Rule, str]]
    inside: bool

    @property
    def rule(self) -> Rule:
        return self.entries[0][0]

    @property
    def text(self) -> str:
        """The one-line message of a review comment."""
        if not self.inside or self.decision is None:
            return self.entries[0][1]
        return _title(self.decision) + "".join(f"; {rule.code} {message}" for rule, message in self.entries)


_IMPORTS = (Rule.MAKE_ASYNC, "imports updated for the functions rewritten in this file")


def _notes(result: RunResult) -> list[_Note]:
    """Every rewritten hunk, with the decision it belongs to, in file order."""
    rewritten = [d for d in result.plan.decisions if d.verdict in {Verdict.CONVERTED, Verdict.FIXED}]
    notes = []
    for hunk in _hunks(result):
        in_file = [d for d in rewritten if d.location.path == hunk.path]
        owner = next((d for d in in_file if d.location.line < hunk.end and hunk.start <= d.end_line), None)
        entries = []
        if owner is not None:
            entries = [
                (f.rule, f.message)
                for f in _unique(owner.findings)
                if f.location.path == hunk.path and hunk.start <= f.location.line < hunk.end
            ]
            if owner.verdict is Verdict.CONVERTED and hunk.start <= owner.location.line < hunk.end:
                entries.append((Rule.MAKE_ASYNC, f"{owner.name} becomes async def"))
            if not entries:  # follows from a rewrite above it (an except clause, a response read)
                entries = [_follows(owner, hunk)]
        decision = owner or next(iter(in_file), None)
        notes.append(_Note(hunk, decision, entries or [_IMPORTS], inside=owner is not None))
    return sorted(notes, key=lambda note: (display_path(note.hunk.path), note.hunk.start))


def _follows(decision: FunctionDecision, hunk: _Hunk) -> tuple[Rule, str]:
    """The rewrite of ``decision`` that a hunk with no finding of its own adapts lines to: the
    nearest one above it."""
    above = [
        f for f in _unique(decision.findings) if f.location.path == hunk.path and f.location.line < hunk.start
    ]
    if not above:
        return Rule.MAKE_ASYNC, f"adapted to {decision.name} becoming async def"
    finding = max(above, key=lambda f: f.location.line)
    return finding.rule, f"adapted to line {finding.location.line}: {finding.message}"


def _level(decision: FunctionDecision) -> str:
    return "warning" if decision.verdict is Verdict.KEPT_SYNC else "note"


def _headline(decision: FunctionDecision) -> tuple[Rule, list[Finding]] | None:
    """The rule a review tool files a decision under, and the findings to say, the decisive
    first; ``None`` when there is nothing to say (no rewrite, only notes on unchecked calls)."""
    findings = [f for f in _said(decision) if f.rule is not Rule.UNCHECKED_IN_ASYNC]
    if decision.verdict is Verdict.CONVERTED:
        return Rule.MAKE_ASYNC, findings
    return (findings[0].rule, findings) if findings else None


def _one_line(decision: FunctionDecision, findings: list[Finding]) -> str:
    return _title(decision) + "".join(f"; {f.rule.code} {f.message}" for f in findings)


@dataclass(frozen=True)
class _Comment:
    """One review comment on lines ``start`` to ``end`` (inclusive), with at most one suggested
    change, of exactly those lines: reviewdog's github-pr-review reporter posts a suggestion only
    on its comment's own range (any other shows as "reviewdog suggestion error")."""

    path: Path
    start: int
    end: int
    rule: Rule | None
    level: str
    """SARIF's level: ``warning`` (kept sync), ``note`` (a rewrite) or ``error`` (a failed file)."""
    message: str
    suggestion: str | None = None


def _comments(result: RunResult) -> list[_Comment]:
    """A comment per rewritten hunk (carrying it as a suggestion), one on the ``def`` line of a
    function that has something to say and no hunk, and one per file that failed."""
    notes: dict[int, list[_Note]] = {}
    for note in _notes(result):
        notes.setdefault(id(note.decision), []).append(note)
    comments = []
    for decision in [*result.plan.decisions, None]:  # None: hunks of files with no rewritten function
        if id(decision) in notes:
            comments.extend(
                _Comment(n.hunk.path, n.hunk.start, n.hunk.end - 1, n.rule, "note", n.text, n.hunk.lines)
                for n in notes[id(decision)]
            )
        elif decision is not None and (headline := _headline(decision)) is not None:
            line, (rule, findings) = decision.location.line, headline
            text = _one_line(decision, findings)
            comments.append(_Comment(decision.location.path, line, line, rule, _level(decision), text))
    comments.extend(
        _Comment(e.path, e.line or 1, e.line or 1, None, "error", e.reason) for e in result.errors
    )
    return comments


def sarif_report(result: RunResult) -> str:
    """SARIF 2.1.0: a result per comment, a rewrite's carrying it as its one ``fix``, whose region
    is the result's (reviewdog turns a fix into a suggestion on each location of its result)."""
    rules = list(Rule)
    results = []
    for comment in _comments(result):
        region = {"startLine": comment.start} | (
            {"endLine": comment.end} if comment.end != comment.start else {}
        )
        location = {
            "physicalLocation": {"artifactLocation": {"uri": display_path(comment.path)}, "region": region}
        }
        entry: dict[str, Any] = {"ruleId": comment.rule.code if comment.rule else "AM000"}
        if comment.rule is not None:
            entry["ruleIndex"] = rules.index(comment.rule)
        entry |= {"level": comment.level, "message": {"text": comment.message}, "locations": [location]}
        if comment.suggestion is not None:
            change = {
                "artifactLocation": location["physicalLocation"]["artifactLocation"],
                "replacements": [{"deletedRegion": region, "insertedContent": {"text": comment.suggestion}}],
            }
            entry["fixes"] = [{"description": {"text": comment.message}, "artifactChanges": [change]}]
        results.append(entry)
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


_SEVERITY = {"warning": "WARNING", "note": "INFO", "error": "ERROR"}


def rdjson_report(result: RunResult) -> str:
    """reviewdog's rdjson: a diagnostic per comment, a rewrite's carrying it as its one
    suggestion, line-wise on the diagnostic's range, which GitHub shows as a suggested change."""
    diagnostics = []
    for comment in _comments(result):
        span = {"start": {"line": comment.start}} | (
            {"end": {"line": comment.end}} if comment.end != comment.start else {}
        )
        diagnostic: dict[str, Any] = {
            "message": comment.message,
            "location": {"path": display_path(comment.path), "range": span},
            "severity": _SEVERITY[comment.level],
        }
        if comment.rule is not None:
            diagnostic["code"] = {"value": comment.rule.code}
        if comment.suggestion is not None:
            diagnostic["suggestions"] = [{"range": span, "text": comment.suggestion}]
        diagnostics.append(diagnostic)
    return json.dumps({"source": {"name": "async-migrate"}, "diagnostics": diagnostics}, indent=2) + "\n"
