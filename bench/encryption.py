"""What encryption at rest costs: parse + store per message, with and without a key.

    .venv/bin/python -m bench.encryption             # 8 demo samples x 6 rounds per side
    .venv/bin/python -m bench.encryption --rounds 12

The same messages (the embedded demo's invented referrals) go through
``intake.ingest.ingest_message`` into two fresh SQLite databases, one opened with a key ring
and one without, in alternating rounds so machine load hits both sides alike. Each side is
timed in process CPU seconds (load-independent) and wall seconds; a fresh Message-ID per
round makes every message new. The figure is the ratio of the two medians.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.core.rules import RuleSettings  # noqa: E402
from intake.demo import SAMPLES, mailbox_for  # noqa: E402
from intake.ingest import ingest_message  # noqa: E402
from models.crypto import new_keyring  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.store import SourceRef  # noqa: E402


def _messages() -> list[tuple[str, bytes]]:
    return [(mailbox_for(raw), raw) for raw in
            (path.read_bytes() for path in sorted(SAMPLES.glob("*.eml")))]


def _round(engine: object, messages: list[tuple[str, bytes]], tag: str) -> tuple[float, float]:
    settings = RuleSettings()
    cpu, wall = time.process_time(), time.perf_counter()
    for number, (mailbox, raw) in enumerate(messages):
        fresh = re.sub(rb"(?im)^Message-ID:.*$", f"Message-ID: <{tag}-{number}@bench>".encode(),
                       raw, count=1)
        source = SourceRef(mailbox=mailbox, source="file", account="bench", folder=tag)
        ingest_message(engine, raw=fresh, source=source, settings=settings)  # type: ignore[arg-type]
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    messages = _messages()
    with tempfile.TemporaryDirectory() as folder:
        engines = {"plain": make_engine(f"sqlite:///{folder}/plain.db", keyring=None),
                   "sealed": make_engine(f"sqlite:///{folder}/sealed.db", keyring=new_keyring())}
        for engine in engines.values():
            migrate(engine)
            _round(engine, messages, "warm")
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
        for number in range(args.rounds):
            for name in (("plain", "sealed") if number % 2 else ("sealed", "plain")):
                times[name].append(_round(engines[name], messages, f"r{number}"))
    count = len(messages)
    for name, runs in times.items():
        cpu = statistics.median(c for c, _ in runs) / count * 1000
        wall = statistics.median(w for _, w in runs) / count * 1000
        print(f"{name:7s} {cpu:7.1f} ms CPU/message  {wall:7.1f} ms wall/message")
    ratio = statistics.median(c for c, _ in times["sealed"]) / statistics.median(
        c for c, _ in times["plain"])
    print(f"sealed/plain CPU ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f}%) over "
          f"{args.rounds} rounds of {count} messages")
    print(f"sealing alone: {_sealing_alone(messages) * 1000:.3f} ms CPU/message")


def _sealing_alone(messages: list[tuple[str, bytes]], repeat: int = 50) -> float:
    """CPU seconds per message to seal and open what the store keeps of it.

    Its raw email, its attachments (bounded above by the raw size again) and two copies of a
    record (the case and its version, ~8 KB of JSON each): the cost the ratio above hides
    in noise.
    """
    ring = new_keyring()
    record = b"x" * 8192
    cpu = time.process_time()
    for _ in range(repeat):
        for _mailbox, raw in messages:
            for value, purpose in ((raw, "a"), (raw, "b"), (record, "c"), (record, "d")):
                ring.open(ring.seal(value, purpose), purpose)
    return (time.process_time() - cpu) / (repeat * len(messages))


if __name__ == "__main__":
    main()
