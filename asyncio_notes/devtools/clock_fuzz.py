"""A differential fuzz of the virtual clock: small random asyncio programs, each traced under the
virtual clock and on the real one, must print the same lines in the same order (lines printed at
one virtual instant in any order: see `compare`), and each wait of each task must last as long
(within TOLERANCE).

Programs are built from tasks, sleeps of multiples of 20 ms, gather, wait_for, cancel, TaskGroup,
shield and to_thread with a sleep (timeouts and cancels fall half-way between the 20 ms ticks).
Each prints a distinct label at most once, so lines can be matched between the two runs. Real
runs go in parallel (they mostly sleep); a real run that misses is repeated (a loaded machine can
be late), a virtual answer never is: it is exact.
Used by tests/test_clock_fuzz.py (a fixed seed) and `make bench` (more programs).
Usage: python -m asyncio_notes.devtools.clock_fuzz [--seed N] [--count N]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asyncio_notes.engine.parent import TraceError, trace_script

TICK = 0.02  # every sleep and timeout is a multiple of this
TOLERANCE = 0.015  # seconds a real wait may differ from its virtual duration
REAL_ATTEMPTS = 8


@dataclass
class _Builder:
    rng: random.Random
    functions: list[str] = field(default_factory=list)
    labels: int = 0

    def delay(self, most: int = 3) -> str:
        return f"{self.rng.randint(0, most) * TICK:.2f}"

    def deadline(self) -> str:
        """A timeout or a cancel: half a tick off the grid, so that it never falls at the very
        instant the work it interrupts would finish (which of the two wins is then a race)."""
        return f"{(self.rng.randint(0, 3) + 0.5) * TICK:.2f}"

    def label(self) -> str:
        self.labels += 1
        return f"L{self.labels}"

    def coroutine(self, depth: int) -> str:
        """Define a new coroutine function; return its name."""
        name = f"c{len(self.functions) + 1}"
        self.functions.append("")  # reserve the slot: children are numbered after it
        slot = len(self.functions) - 1
        body = [f"    print({self.label()!r})"]
        for _ in range(self.rng.randint(1, 3 - depth)):
            body += self.action(depth)
        body.append(f"    return {name!r}")
        self.functions[slot] = f"async def {name}():\n" + "\n".join(body) + "\n"
        return name

    def action(self, depth: int) -> list[str]:
        kinds = ["sleep", "sleep", "to_thread"]
        if depth < 2:
            kinds += ["await", "task", "gather", "wait_for", "cancel", "taskgroup", "shield"]
        kind = self.rng.choice(kinds)
        if kind == "sleep":
            return [f"    await asyncio.sleep({self.delay()})", f"    print({self.label()!r})"]
        if kind == "to_thread":
            return [
                f"    await asyncio.to_thread(time.sleep, {self.delay(3)})",
                f"    print({self.label()!r})",
            ]
        child = self.coroutine(depth + 1)
        if kind == "await":
            return [f"    await {child}()", f"    print({self.label()!r})"]
        if kind == "task":
            return [
                f"    task = asyncio.create_task({child}())",
                f"    await asyncio.sleep({self.delay()})",
                f"    print({self.label()!r})",
                "    await task",
                f"    print({self.label()!r})",
            ]
        if kind == "gather":
            other = self.coroutine(depth + 1)
            return [
                f"    await asyncio.gather({child}(), {other}())",
                f"    print({self.label()!r})",
            ]
        if kind == "wait_for":
            awaited = f"asyncio.wait_for({child}(), timeout={self.deadline()})"
            return self.either(awaited, "TimeoutError")
        if kind == "cancel":
            return [
                f"    task = asyncio.create_task({child}())",
                f"    asyncio.get_running_loop().call_later({self.deadline()}, task.cancel)",
                *self.either("task", "asyncio.CancelledError"),
            ]
        if kind == "taskgroup":
            other = self.coroutine(depth + 1)
            return [
                "    async with asyncio.TaskGroup() as group:",
                f"        group.create_task({child}())",
                f"        group.create_task({other}())",
                f"    print({self.label()!r})",
            ]
        # shield: the timeout cancels the wait, not the shielded task, which goes on.
        return [
            f"    task = asyncio.create_task({child}())",
            *self.either(
                f"asyncio.wait_for(asyncio.shield(task), {self.deadline()})", "TimeoutError"
            ),
            "    await task",
            f"    print({self.label()!r})",
        ]

    def either(self, awaited: str, exception: str) -> list[str]:
        """Await something that may raise `exception`; print which way it went."""
        return [
            "    try:",
            f"        await {awaited}",
            f"        print({self.label()!r})",
            f"    except {exception}:",
            f"        print({self.label()!r})",
        ]


def program(rng: random.Random) -> str:
    """A random program: main() awaits a random tree of coroutines."""
    builder = _Builder(rng)
    top = builder.coroutine(0)
    return (
        "import asyncio\nimport time\n\n\n"
        + "\n\n".join(builder.functions)
        + f"\n\nasync def main():\n    await {top}()\n\n\nasyncio.run(main())\n"
    )


@dataclass
class Run:
    prints: list[tuple[float, str]]  # (time, text), in the order printed
    waits: dict[str, float]  # "c3() wait 2" -> how long that wait of that task lasted


def traced(path: Path, real: bool) -> Run:
    trace = trace_script(path, real=real, root=path.parent, timeout=20)
    waits = {
        f"{task['coro']} wait {n}": wait["end"] - wait["start"]
        for task in trace["tasks"]  # each coroutine runs once: its name names the task
        for n, wait in enumerate(task["waits"], start=1)
        if wait["end"] is not None
    }
    return Run([(p["time"], p["text"]) for p in trace["prints"]], waits)


def compare(virtual: Run, real: Run) -> str | None:
    """What differs between the two runs, or None.

    Lines printed at one virtual instant may come in another order on the real clock: the
    virtual clock makes CPU work free, so which of two things due together goes first is then
    decided by real CPU costs (starting a thread, a few more loop rounds), not by time. Across
    instants the order must be the same. Durations are compared wait by wait (how long each
    task waited each time): the real clock's lateness then does not add up along a program.
    An instant is a virtual millisecond: the CPU cost model adds microseconds per line of the
    program, which spread one instant's lines over a few microseconds."""
    at = {text: round(when, 3) for when, text in virtual.prints}
    same_lines = sorted(at) == sorted(text for _, text in real.prints)
    order = [at.get(text, -1.0) for _, text in real.prints]
    if not same_lines or len(at) != len(virtual.prints) or order != sorted(order):
        rows = itertools.zip_longest(virtual.prints, real.prints, fillvalue=(None, ""))
        return "different prints or order (virtual | real):\n" + "\n".join(
            f"  {v[1]:>6} {v[0]!s:>6} | {r[1]:>6} {r[0]!s:>6}" for v, r in rows
        )
    if sorted(virtual.waits) != sorted(real.waits):
        return f"different waits: virtual {sorted(virtual.waits)}, real {sorted(real.waits)}"
    late = [
        f"{wait}: virtual {seconds:.3f} s, real {real.waits[wait]:.3f} s"
        for wait, seconds in virtual.waits.items()
        if abs(seconds - real.waits[wait]) > TOLERANCE
    ]
    return "durations differ by more than 15 ms: " + "; ".join(late) if late else None


@dataclass
class Failure:
    seed: int
    index: int
    source: str
    problem: str

    def __str__(self) -> str:
        return (
            f"program {self.index} of seed {self.seed} (rerun: python -m "
            f"asyncio_notes.devtools.clock_fuzz --seed {self.seed} --count {self.index + 1}):\n"
            f"{self.problem}\n--- program ---\n{self.source}"
        )


def run(seed: int, count: int, jobs: int = 4) -> list[Failure]:
    """Generate `count` programs from `seed`, run each both ways; return the failures.

    All programs run in parallel first; those whose real run missed are run again one at a
    time (up to REAL_ATTEMPTS in all), when nothing else of ours competes for the CPU."""
    rng = random.Random(seed)
    sources = [program(rng) for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="clock-fuzz-") as tmp:
        paths = []
        for i, source in enumerate(sources):
            path = Path(tmp, f"program_{i}.py")
            path.write_text(source, encoding="utf-8")
            paths.append(path)
        virtual: dict[int, Run] = {}

        def attempt(i: int) -> str | None:
            try:
                if i not in virtual:
                    virtual[i] = traced(paths[i], real=False)
                return compare(virtual[i], traced(paths[i], real=True))
            except TraceError as exc:
                return str(exc)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            problems = dict(zip(range(count), pool.map(attempt, range(count)), strict=True))
        for i in sorted(i for i, problem in problems.items() if problem):
            for _ in range(REAL_ATTEMPTS - 1):
                time.sleep(0.2)  # let a burst of load on the machine pass
                problems[i] = attempt(i)
                if problems[i] is None:
                    break
    return [Failure(seed, i, sources[i], p) for i, p in sorted(problems.items()) if p]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    failures = run(args.seed, args.count)
    for failure in failures:
        print(failure, file=sys.stderr)
    print(
        f"clock fuzz: {args.count - len(failures)}/{args.count} programs agree (seed {args.seed})"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
