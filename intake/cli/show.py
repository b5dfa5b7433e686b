"""How the CLI prints: rich tables for people, CSV and JSON for other tools."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

SEVERITY_STYLE = {"blocking": "bold red", "warning": "yellow", "info": "cyan"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def emit_rows(rows: Sequence[dict[str, Any]], columns: list[str], output: str, *, title: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(list(rows), indent=2, default=str, ensure_ascii=False) + "\n")
        return
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return
    table = Table(title=f"{title} ({len(rows)})", show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    _console().print(table)


def _console() -> Console:
    """A console as wide as the terminal, or 160 columns when output goes to a file or pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_flags(console: Console, flags: Sequence[dict[str, Any]]) -> None:
    table = Table(title="Flags", show_lines=False)
    for column in ("severity", "code", "field", "chase", "message"):
        table.add_column(column, overflow="fold")
    for flag in flags:
        style = SEVERITY_STYLE.get(flag["severity"], "")
        status = flag.get("status")
        table.add_row(f"[{style}]{flag['severity']}[/]", flag["code"], flag.get("field") or "",
                      flag.get("follow_up_with") or "",
                      flag["message"] + (f" [{status}]" if status and status != "open" else ""))
    console.print(table)


def print_record(record: dict[str, Any]) -> None:
    console = Console()
    pupil, school = record["pupil"], record["school"]
    console.print(f"[bold]School[/]: {school['name'] or '-'} ({school['type']})  "
                  f"[bold]Pupil[/]: {pupil['forenames'] or '-'} {pupil['surname'] or '-'}, "
                  f"born {pupil['date_of_birth'] or '-'}")
    console.print(f"[bold]Grounds[/]: {', '.join(record['referral']['grounds']) or '-'}")
    for index, document in enumerate(record["documents"]):
        problem = f" - [red]{document['problem']}[/]" if document["problem"] else ""
        console.print(f"  document {index}: {document['filename'] or '(body)'} "
                      f"{document['role']} via {document['extraction']}{problem}")
    print_flags(console, record["flags"])
    console.print("[green]complete[/]" if record["complete"] else "[red]incomplete[/]")


def print_case(case: dict[str, Any]) -> None:
    console = Console()
    console.print(f"[bold]{case.get('reference')}[/] status {case.get('status')}")
    print_record({**case["record"], "flags": case.get("flags", case["record"]["flags"])})
