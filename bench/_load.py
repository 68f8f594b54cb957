"""Load for the webhook benchmarks: a signed 10 KB delivery, wrk at full speed, a fixed-rate client,
percentiles and markdown tables."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from app.ingest.signatures import github_signature

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "github-webhooks"
GITHUB_SECRET = "bench-github-secret"
SENTRY_SECRET = "bench-sentry-secret"
# The smallest issue_comment delivery in the corpus is 10.5 kB of compact JSON around its comment;
# with the installation an App gets and a /heal comment quoting a traceback it is 11 kB.
PAYLOAD_BYTES = 11_000
OPEN_LOOP_WARM_UP = 8  # requests the fixed-rate client sends before its clock starts
# What a long slash-command comment looks like: a command and the traceback it is about.
TRACEBACK_FRAME = (
    '  File "/srv/app/services/billing/invoices.py", line {line}, in render_invoice\n'
    "    total = sum(item.amount for item in invoice.items) / invoice.exchange_rate\n"
)


@dataclass(frozen=True)
class Delivery:
    """One GitHub delivery, signed once; only `X-GitHub-Delivery` changes per request."""

    event: str
    body: bytes
    signature: str

    def headers(self, delivery_id: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/bench",
            "X-GitHub-Event": self.event,
            "X-GitHub-Delivery": delivery_id,
            "X-Hub-Signature-256": self.signature,
        }


def issue_comment_delivery(size: int = PAYLOAD_BYTES) -> Delivery:
    """A real `issue_comment.created` payload from the corpus, as an App receives it (with its
    installation), whose comment body is a `/heal` command with a traceback sized so the whole
    compact JSON body is `size` bytes."""
    payload: dict[str, Any] = json.loads(
        (CORPUS / "issue_comment/created.1.payload.json").read_text()
    )
    payload["installation"] = {
        "id": 4242,
        "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==",
    }
    payload["comment"]["body"] = ""
    overhead = len(_compact(payload))
    if size < overhead + 200:
        raise ValueError(f"a delivery around a /heal comment needs at least {overhead + 200} bytes")
    head = "/heal\n\n```\nTraceback (most recent call last):\n"
    tail = "ZeroDivisionError: float division by zero\n```\n"
    text = head + tail
    frames = ""
    for line in range(40, 40 + size):  # whole frames while they fit: a traceback, not a cut
        frames += TRACEBACK_FRAME.format(line=line)
        longer = head + frames + tail
        if len(json.dumps(longer)) - 2 > size - overhead:
            break
        text = longer
    payload["comment"]["body"] = text
    body = _compact(payload)
    return Delivery("issue_comment", body, github_signature(GITHUB_SECRET.encode(), body))


def _compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass(frozen=True)
class LoadResult:
    """One load run: how many requests completed, how fast, and their latencies in ms."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    accepted: int  # answered 202
    failed: int  # anything else: other statuses, socket errors, timeouts

    @property
    def per_second(self) -> float:
        """Accepted webhooks per second: an overloaded server's timeouts do not count."""
        return self.accepted / self.seconds


WRK_SCRIPT = """
local file = io.open("{body_path}", "rb")
wrk.body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.path = "{path}"
{headers}
threads = {{}}
local next_id = 1
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
sent, accepted, other = 0, 0, 0
function request()
  sent = sent + 1
  wrk.headers["X-GitHub-Delivery"] = "{run}-" .. thread_id .. "-" .. sent
  return wrk.format()
end
function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, a, o,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    base_url: str, path: str, delivery: Delivery, *, connections: int, seconds: float, scratch: Path
) -> LoadResult:
    """Closed loop: `connections` keep-alive connections, each sending as soon as it is
    answered, for `seconds`; one wrk thread (the machine's other core serves)."""
    run = uuid.uuid4().hex[:12]
    body_path = scratch / f"body-{run}.json"
    body_path.write_bytes(delivery.body)
    fixed = {k: v for k, v in delivery.headers("").items() if k != "X-GitHub-Delivery"}
    script = scratch / f"wrk-{run}.lua"
    script.write_text(
        WRK_SCRIPT.format(
            body_path=body_path,
            path=path,
            headers="\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in fixed.items()),
            run=run,
        )
    )
    finished = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "10s",
            "-s",
            script,
            base_url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    line = next(x for x in finished.stdout.splitlines() if x.startswith("WRK_JSON "))
    requests, duration_us, p50, p99, worst, accepted, other, errors = map(int, line.split()[1:])
    return LoadResult(
        requests=requests,
        seconds=duration_us / 1e6,
        p50_ms=p50 / 1000,
        p99_ms=p99 / 1000,
        max_ms=worst / 1000,
        accepted=accepted,
        failed=other + errors,
    )


async def run_fixed_rate(
    url: str, delivery: Delivery, *, rate: float, seconds: float
) -> LoadResult:
    """Open loop, wrk2-style: request n is due at start + n/rate whatever happened before, and
    its latency runs from when it was due (so a stall counts for every request it delayed)."""
    total = int(rate * seconds)
    run = uuid.uuid4().hex[:12]
    latencies: list[float] = []
    statuses: list[int] = []
    connector = aiohttp.TCPConnector(limit=512, force_close=False)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        loop = asyncio.get_running_loop()

        async def send(n: int, due: float) -> None:
            try:
                async with session.post(
                    url, data=delivery.body, headers=delivery.headers(f"{run}-{n}")
                ) as response:
                    await response.read()
                    statuses.append(response.status)
            except (aiohttp.ClientError, TimeoutError):
                statuses.append(0)
            latencies.append((loop.time() - due) * 1000)

        # A few requests first so connections exist before the clock starts.
        await asyncio.gather(*(send(-1 - n, loop.time()) for n in range(OPEN_LOOP_WARM_UP)))
        latencies.clear()
        statuses.clear()
        start = loop.time() + 0.05
        tasks = []
        for n in range(total):
            due = start + n / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(n, due)))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    ordered = sorted(latencies)
    return LoadResult(
        requests=len(ordered),
        seconds=elapsed,
        p50_ms=percentile(ordered, 50),
        p99_ms=percentile(ordered, 99),
        max_ms=ordered[-1],
        accepted=statuses.count(202),
        failed=len(statuses) - statuses.count(202),
    )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return float("nan")
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
