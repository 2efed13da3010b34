"""A differential fuzz of the virtual clock: small random asyncio programs, each traced under the
virtual clock and on the real one, must run the same loop iterations with the same handles in the
same order (trace.loop_story), print the same lines in the same order, and each wait of each task
must last as long (within TOLERANCE).

Programs are built from tasks, sleeps of multiples of 20 ms, gather, wait_for, cancel, TaskGroup,
shield, to_thread with a sleep, ties on purpose (several tasks started together with equal
sleeps, so their deadlines are microseconds apart and one real iteration wakes them all) and
blocking sleeps in the loop's thread that overrun the deadlines of other tasks. Timeouts and
cancels fall half-way between the 20 ms ticks, thread sleeps a quarter of the way.
Each prints a distinct label at most once, so lines can be matched between the two runs. Real
runs go in parallel (they mostly sleep); a real run that misses is repeated (a loaded machine can
be late), a virtual answer never is: it is exact.

Some programs cannot run the same way twice for real: where two deadlines fall a fraction of a
millisecond to a few milliseconds apart, or a thread finishes at the instant a timer is due,
which comes first depends on how late the machine wakes the loop (epoll's millisecond rounding,
timer slack, a thread's start-up). `ambiguous` finds those in the virtual trace and the
generator skips them (deterministically: the same seed gives the same programs).
Used by tests/test_clock_fuzz.py (a fixed seed) and `make bench` (more programs, every Python).
Usage: python -m asyncio_notes.devtools.clock_fuzz [--seed N] [--count N] [--python PATH ...]
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
from typing import Any

from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.trace import Trace, loop_story

TICK = 0.02  # every sleep and timeout is a multiple of this
TOLERANCE = 0.015  # seconds a real wait may differ from its virtual duration
REAL_ATTEMPTS = 8
# Two instants of a run (deadlines, handles run) are the same instant when they are at most NEAR
# apart (CPU cost: microseconds), clearly apart from APART on; in between, a real run could go
# either way (see `ambiguous`). So are a thread's end and a deadline within APART of each other.
NEAR = 0.0005
APART = 0.004
# Rounds of candidates at most (each round replaces the ambiguous ones; see `ambiguous`).
TRIES = 20
# A real run is a fair witness only if the machine woke it on time: between two of its prints,
# its lateness behind the virtual run may grow by at most this (see `disturbed`).
JITTER = 0.001


@dataclass
class _Builder:
    rng: random.Random
    functions: list[str] = field(default_factory=list)
    labels: int = 0

    def delay(self, most: int = 3) -> str:
        return f"{self.rng.randint(0, most) * TICK:.2f}"

    def thread_delay(self) -> str:
        """A thread's sleep: a quarter tick off the grid, away from the timers' deadlines."""
        return f"{(self.rng.randint(0, 2) + 0.25) * TICK:.3f}"

    def deadline(self) -> str:
        """A timeout or a cancel: half a tick off the grid, so that it never falls at the very
        instant the work it interrupts would finish (which of the two wins is then a race)."""
        return f"{(self.rng.randint(0, 3) + 0.5) * TICK:.2f}"

    def label(self) -> str:
        self.labels += 1
        return f"L{self.labels}"

    def coroutine(self, depth: int, first_sleep: str | None = None) -> str:
        """Define a new coroutine function (starting with `first_sleep`, if given); return its
        name."""
        name = f"c{len(self.functions) + 1}"
        self.functions.append("")  # reserve the slot: children are numbered after it
        slot = len(self.functions) - 1
        body = [f"    print({self.label()!r})"]
        if first_sleep is not None:
            body += [f"    await asyncio.sleep({first_sleep})", f"    print({self.label()!r})"]
        for _ in range(self.rng.randint(1, 3 - depth)):
            body += self.action(depth)
        body.append(f"    return {name!r}")
        self.functions[slot] = f"async def {name}():\n" + "\n".join(body) + "\n"
        return name

    def action(self, depth: int) -> list[str]:
        kinds = ["sleep", "sleep", "to_thread", "blocking"]
        if depth < 2:
            kinds += ["await", "task", "gather", "wait_for", "cancel", "taskgroup", "shield"]
            kinds += ["ties", "ties"]
        kind = self.rng.choice(kinds)
        if kind == "sleep":
            return [f"    await asyncio.sleep({self.delay()})", f"    print({self.label()!r})"]
        if kind == "to_thread":
            return [
                f"    await asyncio.to_thread(time.sleep, {self.thread_delay()})",
                f"    print({self.label()!r})",
            ]
        if kind == "blocking":  # holds the loop: other tasks' deadlines pass meanwhile
            return [f"    time.sleep({self.delay(2)})", f"    print({self.label()!r})"]
        if kind == "ties":  # tasks started together with equal sleeps: one wake-up for all
            shared = f"{self.rng.randint(1, 3) * TICK:.2f}"
            names = [self.coroutine(depth + 1, shared) for _ in range(self.rng.randint(2, 3))]
            return [
                *(f"    t{i} = asyncio.create_task({n}())" for i, n in enumerate(names)),
                *(f"    await t{i}" for i in range(len(names))),
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
    story: list[list[str]] = field(default_factory=list)  # trace.loop_story, by coroutine
    times: list[float] = field(default_factory=list)  # when each iteration began


def traced(path: Path, real: bool, python: str | None = None) -> tuple[Run, Trace]:
    trace = trace_script(path, real=real, root=path.parent, timeout=20, python=python)
    waits = {
        f"{task['coro']} wait {n}": wait["end"] - wait["start"]
        for task in trace["tasks"]  # each coroutine runs once: its name names the task
        for n, wait in enumerate(task["waits"], start=1)
        if wait["end"] is not None
    }
    # Tasks by coroutine: which task gets which Task-N can differ between 3.11 (wait_for makes a
    # task of its own) and later, never between two runs on one Python; this reads better.
    coro = {task["name"]: task["coro"] for task in trace["tasks"]}
    story = [[coro.get(handle, handle) for handle in it] for it in loop_story(trace)]
    times = [iteration["time"] for iteration in trace["iterations"]]
    prints = [(p["time"], p["text"]) for p in trace["prints"]]
    return Run(prints, waits, story, times), trace


def ambiguous(trace: Trace) -> str | None:
    """Why a real run of this program could schedule differently from run to run, or None.

    Every deadline a timer had and every moment a handle ran, sorted: two neighbours more than
    NEAR but less than APART apart are an instant a real loop may or may not reach in one wake-up
    (its lateness decides); a thread's end (the callback that hands its result to the loop) within
    APART of a deadline is a race between the thread's real start-up and the timer. Two tasks
    cancelled in one iteration were cancelled together by asyncio.run's clean-up or a TaskGroup,
    which take them from a set: their order follows memory addresses. Timers set at different
    moments (more than NEAR apart) that fall due in one iteration got there by different paths,
    each as late on a real clock as its own history made it: which wake-up takes which is a race.
    A thread still running when main ends races with asyncio.run's join of the executor (its
    result and the join's both reach the loop from threads)."""
    set_at: dict[tuple[Any, ...], float] = {}  # each timer: when it was first pending
    instants: set[float] = set()
    deadlines: set[float] = set()
    threads = []
    for iteration in trace["iterations"]:
        if sum(entry.get("outcome") == "cancelled" for entry in iteration["ran"]) > 1:
            return f"tasks cancelled together at {iteration['time']:.6f} s, in a set's order"
        fired = [set_at.get(_timer_key(h)) for h in iteration.get("ready", []) if "when" in h]
        fired = [t for t in fired if t is not None]
        if fired and max(fired) - min(fired) > NEAR:
            return f"timers set {1000 * (max(fired) - min(fired)):.1f} ms apart fire together"
        for entry in iteration["ran"]:
            for timer in entry.get("timers", []):
                set_at.setdefault(_timer_key(timer), entry["time"])
            instants.add(entry["time"])
            deadlines.update(t["when"] for t in entry.get("timers", []) if "when" in t)
            # wrap_future hands a thread's result to the loop with call_soon_threadsafe(_set_state)
            if entry.get("callback", "").endswith("._set_state"):
                threads.append(entry["time"])
    ended = trace["tasks"][0]["finished"] if trace.get("tasks") else None
    if ended is not None and any(end > ended for end in threads):
        return "a thread was still running when main ended"
    ordered = sorted(instants | deadlines)
    for a, b in itertools.pairwise(ordered):
        if NEAR < b - a < APART:
            return f"instants {a:.6f} s and {b:.6f} s are {1000 * (b - a):.2f} ms apart"
    for end in threads:
        for deadline in deadlines:
            if abs(deadline - end) < APART:
                return f"a thread ends at {end:.6f} s, a timer is due at {deadline:.6f} s"
    return None


def disturbed(virtual: Run, real: Run) -> str | None:
    """Why the real run is no fair witness, or None: somewhere the machine woke it more than
    JITTER later than the run before (a loaded machine can be late by tens of milliseconds at
    one wake-up), so deadlines that the program sets microseconds apart were set milliseconds
    apart, and a real loop then wakes for them separately. That says nothing of the engine.
    Lateness is read at each print and at each iteration up to the first that differs (the
    iterations before it are the same ones in both runs)."""
    at = {text: when for when, text in virtual.prints}
    late = [when - at[text] for when, text in real.prints if text in at]
    same = next(
        (i for i, (v, r) in enumerate(zip(virtual.story, real.story, strict=False)) if v != r),
        min(len(virtual.story), len(real.story)),
    )
    iterations = zip(virtual.times[: same + 1], real.times[: same + 1], strict=False)
    for lateness in (late, [r - v for v, r in iterations]):
        for before, after in itertools.pairwise(lateness):
            if after - before > JITTER:
                return f"a real wake-up was {1000 * (after - before):.1f} ms late"
    return None


def _timer_key(timer: dict[str, Any]) -> tuple[Any, ...]:
    return (timer["when"], timer.get("callback"), tuple(timer.get("wakes", ())))


def compare(virtual: Run, real: Run) -> str | None:
    """What differs between the two runs, or None.

    The loop iterations must be the same, handle by handle. Lines printed at one virtual instant
    may come in another order on the real clock where a thread prints (a thread's prints are no
    loop iteration's); across instants the order must be the same. Durations are compared wait
    by wait (how long each task waited each time): the real clock's lateness then does not add
    up along a program.
    An instant is a virtual millisecond: the CPU cost model adds microseconds per line of the
    program, which spread one instant's lines over a few microseconds."""
    if virtual.story != real.story:
        rows = itertools.zip_longest(virtual.story, real.story, fillvalue=[])
        return "different loop iterations (virtual | real):\n" + "\n".join(
            f"  {'  ' if v == r else '!='} {' '.join(v)} | {' '.join(r)}" for v, r in rows
        )
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
class Result:
    failures: list[Failure]
    runs: int  # programs times interpreters
    inconclusive: list[str]  # runs whose every real attempt was disturbed
    skipped: int = 0  # programs generated and left out as ambiguous

    def summary(self, seed: int) -> str:
        agree = self.runs - len(self.failures) - len(self.inconclusive)
        return (
            f"{agree}/{self.runs} runs agree iteration by iteration, {len(self.failures)} differ, "
            f"{len(self.inconclusive)} inconclusive (the machine woke every real attempt late); "
            f"{self.skipped} ambiguous programs skipped (seed {seed})"
        )


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


def run(seed: int, count: int, jobs: int = 4, pythons: list[str] | None = None) -> Result:
    """Generate `count` programs from `seed` (skipping ambiguous ones), run each both ways on
    each Python in `pythons` (default: this one).

    All programs run in parallel first; those whose real run missed, or was disturbed, are run
    again one at a time (up to REAL_ATTEMPTS in all), when nothing else of ours competes for
    the CPU. A run whose every real attempt was disturbed is inconclusive, not a failure."""
    rng = random.Random(seed)
    interpreters = pythons or [sys.executable]
    with tempfile.TemporaryDirectory(prefix="clock-fuzz-") as tmp:
        sources, paths, virtual, skipped = _generate(rng, count, Path(tmp), interpreters[0], jobs)
        cases = [(i, python) for i in range(len(paths)) for python in interpreters]

        def attempt(case: tuple[int, str]) -> tuple[str | None, str | None]:
            """(what differs, why the real run is no witness)"""
            i, python = case
            try:
                if case not in virtual:
                    virtual[case] = traced(paths[i], real=False, python=python)[0]
                real = traced(paths[i], real=True, python=python)[0]
            except TraceError as exc:
                return str(exc), None
            problem = compare(virtual[case], real)
            return problem, (disturbed(virtual[case], real) if problem else None)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = dict(zip(cases, pool.map(attempt, cases), strict=True))
        for case in sorted(c for c, (problem, _) in outcomes.items() if problem):
            noise = [outcomes[case][1]]
            for _ in range(REAL_ATTEMPTS - 1):
                time.sleep(0.2)  # let a burst of load on the machine pass
                outcomes[case] = attempt(case)
                noise.append(outcomes[case][1])
                if outcomes[case][0] is None:
                    break
            if outcomes[case][0] and all(noise):
                outcomes[case] = (None, f"program {case[0]} on {case[1]}: {noise[-1]}")
    failures = [
        Failure(seed, i, sources[i], f"{python}: {problem}")
        for (i, python), (problem, _) in sorted(outcomes.items())
        if problem
    ]
    inconclusive = [why for problem, why in outcomes.values() if why and not problem]
    return Result(failures, len(cases), inconclusive, skipped)


def _generate(
    rng: random.Random, count: int, folder: Path, python: str, jobs: int = 4
) -> tuple[list[str], list[Path], dict[tuple[int, str], Run], int]:
    """`count` programs that are not ambiguous, written into `folder`, and their virtual runs
    on `python` (each is traced to find out; candidates are traced in parallel, and kept in the
    order they were generated, so a seed always gives the same programs)."""
    sources: list[str] = []
    paths: list[Path] = []
    virtual: dict[tuple[int, str], Run] = {}
    skipped = 0

    def attempt(path: Path) -> tuple[Run | None, Trace | None]:
        try:
            return traced(path, real=False, python=python)
        except TraceError:  # kept: the comparison reports it
            return None, None

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for batch in range(TRIES):
            if len(sources) == count:
                break
            candidates = [program(rng) for _ in range(count - len(sources))]
            batch_paths = [folder / f"candidate_{batch}_{i}.py" for i in range(len(candidates))]
            for path, source in zip(batch_paths, candidates, strict=True):
                path.write_text(source, encoding="utf-8")
            for source, path, (run_, trace) in zip(
                candidates, batch_paths, pool.map(attempt, batch_paths), strict=True
            ):
                if trace is not None and ambiguous(trace):
                    skipped += 1
                    continue
                if run_ is not None:
                    virtual[(len(sources), python)] = run_
                sources.append(source)
                paths.append(path)
    return sources, paths, virtual, skipped


def stories_agree(path: Path, python: str | None = None, attempts: int = 5) -> bool | None:
    """Whether the script runs the same loop iterations under the virtual clock as on the real
    one: True as soon as one real run agrees; None if none did but the machine woke every one of
    them late (no witness, see `disturbed`); False if a real run woken on time disagreed."""
    virtual = traced(path, real=False, python=python)[0]
    fair_witness_disagreed = False
    for _ in range(attempts):
        real = traced(path, real=True, python=python)[0]
        if real.story == virtual.story:
            return True
        fair_witness_disagreed |= disturbed(virtual, real) is None
    return False if fair_witness_disagreed else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--python", action="append", help="an interpreter (repeatable)")
    args = parser.parse_args()
    result = run(args.seed, args.count, pythons=args.python)
    for failure in result.failures:
        print(failure, file=sys.stderr)
    print(f"clock fuzz: {result.summary(args.seed)}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
