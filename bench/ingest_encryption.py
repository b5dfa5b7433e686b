"""Backlog throughput of the real daemon with and without encryption at rest, side by side.

    .venv/bin/python -m bench.ingest --encryption-side-by-side 4 --backlog 200

Run from ``bench/ingest.py``: each round gives a fresh Dovecot user a backlog of N DOCX
referral emails and starts a real daemon (``python -m intake.mailbox.daemon``) on a fresh
SQLite database, alternately without a key and with one. The sealed daemon gets its key
the way a deployed one does: ``CME_DATABASE_KEY_FILE`` naming a key file written by
``models.crypto.write_keyring`` (mode 0600), read by the daemon's own ``make_engine``.
Alternating rounds spread machine load over both sides alike. The figure is the ratio of
the median throughputs; the run fails (exit 1) if the sealed side is more than 10% slower
(issue 15's acceptance line).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from bench.ingest import DaemonProcess, tree_cpu, wait_processed, wait_started
from models.crypto import KEY_FILE_ENV, KEYS_ENV, new_keyring, write_keyring
from tests.services.dovecot import DovecotServer

BUDGET = 0.10  # sealed may cost at most 10% of the plain backlog throughput


def _one_backlog(server: DovecotServer, emails: list[bytes], workdir: Path,
                 key_file: Path | None) -> tuple[float, float]:
    """Messages/s after connecting, and daemon + worker CPU ms per message, for one round."""
    user, _ = server.new_user(workdir.name)
    server.append_many(user, emails)
    saved = {name: os.environ.pop(name, None) for name in (KEY_FILE_ENV, KEYS_ENV)}
    if key_file is not None:
        os.environ[KEY_FILE_ENV] = str(key_file)
    try:
        daemon = DaemonProcess(workdir, server, user)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
    try:
        ready = wait_started(server, user)
        main0, workers0 = tree_cpu(daemon.process.pid)
        done = wait_processed(server, user, len(emails), daemon,
                              timeout=len(emails) * 2 + 120)
        main1, workers1 = tree_cpu(daemon.process.pid)
    finally:
        daemon.stop()
    _check_sealed(workdir / "cases.db", sealed=key_file is not None)
    cpu = ((main1 - main0) + (workers1 - workers0)) / len(emails) * 1000
    return len(emails) / (done - ready), cpu


def _check_sealed(database: Path, *, sealed: bool) -> None:
    """Make sure each side really ran as labelled (a daemon that ignored the key would make
    the comparison meaningless): sealed rows start with 0x01, plain ones with 0x00."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        first = connection.execute("SELECT substr(content, 1, 1) FROM blob LIMIT 1").fetchone()
    marker = bytes(first[0]) if first else b""
    if (marker == b"\x01") != sealed:
        raise SystemExit(f"{database}: blob marker {marker!r}, expected "
                         f"{'sealed' if sealed else 'plain'}")


def side_by_side(server: DovecotServer, emails: list[bytes], rounds: int,
                 workdir: Path) -> int:
    """Alternate plain and sealed rounds; print both throughputs and the ratio."""
    key_file = workdir / "keys.json"
    write_keyring(key_file, new_keyring())
    rates: dict[str, list[float]] = {"plain": [], "sealed": []}
    cpus: dict[str, list[float]] = {"plain": [], "sealed": []}
    for number in range(rounds):
        for side in (("plain", "sealed") if number % 2 == 0 else ("sealed", "plain")):
            folder = workdir / f"{side}{number}"
            folder.mkdir()
            rate, cpu = _one_backlog(server, emails, folder,
                                     key_file if side == "sealed" else None)
            rates[side].append(rate)
            cpus[side].append(cpu)
            print(f"round {number + 1} {side:6s}: {rate:5.1f} messages/s, {cpu:5.1f} ms CPU/"
                  f"message (load average {os.getloadavg()[0]:.1f})", flush=True)
    plain, sealed = statistics.median(rates["plain"]), statistics.median(rates["sealed"])
    ratio = sealed / plain
    cpu_ratio = statistics.median(cpus["sealed"]) / statistics.median(cpus["plain"])
    ok = ratio >= 1 - BUDGET
    print(f"backlog of {len(emails)} x {rounds} rounds per side: plain {plain:.1f} msg/s, "
          f"sealed {sealed:.1f} msg/s, sealed/plain throughput {ratio:.3f} "
          f"({(ratio - 1) * 100:+.1f}%), CPU/message ratio {cpu_ratio:.3f} "
          f"[target: sealed >= {1 - BUDGET:.2f} x plain] {'OK' if ok else 'OVER BUDGET'}")
    return 0 if ok else 1
