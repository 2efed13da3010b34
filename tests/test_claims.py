"""Probes for what chapter 2 claims about asyncio, run on the real event loop of this Python.

Each test runs the behaviour a page describes (the page named in its docstring), so a claim that
stops being true on some Python fails here, on that Python. None depends on timing: tasks wait on
events or on sleeps far longer than the test, and the few real timeouts are ones nothing else races.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import warnings
from types import ModuleType

import pytest

from asyncio_notes.paths import REPO

FOREVER = 3600  # a sleep no test waits out


def chapter_util() -> ModuleType:
    """examples/ch02/util.py, loaded as a module of its own (the examples import it as `util`)."""
    spec = importlib.util.spec_from_file_location("ch02_util", REPO / "examples/ch02/util.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_nap(capsys: pytest.CaptureFixture[str]) -> tuple[object, str, list[str]]:
    """A coroutine function decorated with async_timed, its coroutine's repr, what it printed."""

    @chapter_util().async_timed()
    async def nap() -> None:
        """Nap."""
        await asyncio.sleep(0)

    coro = nap()
    coro_repr = repr(coro)
    asyncio.run(coro)
    lines = [
        re.sub(r"in \d+\.\d+ second", "in N second", line)
        for line in capsys.readouterr().out.splitlines()
    ]
    return nap, coro_repr, lines


def test_wraps_does_not_change_the_printed_names_but_changes_the_reprs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """timing.md: the printed names are func.__name__ either way; wraps renames the wrapper."""
    with_wraps, with_repr, with_lines = timed_nap(capsys)
    monkeypatch.setattr(functools, "wraps", lambda func: lambda wrapper: wrapper)
    without_wraps, without_repr, without_lines = timed_nap(capsys)

    assert (
        with_lines
        == without_lines
        == ["starting nap with args () {}", "finished nap in N second(s)"]
    )
    assert (with_wraps.__name__, with_wraps.__doc__) == ("nap", "Nap.")
    assert (without_wraps.__name__, without_wraps.__doc__) == ("wrapped", None)
    assert with_repr.startswith("<coroutine object timed_nap.<locals>.nap at ")
    assert without_repr.startswith(
        "<coroutine object async_timed.<locals>.wrapper.<locals>.wrapped at "
    )


def test_cancel_interrupts_the_sleep_on_the_loops_next_iteration() -> None:
    """cancellation.md: cancel() does not wait for the sleep; the task ends one iteration later."""

    async def main() -> tuple[bool, bool, bool]:
        task = asyncio.create_task(asyncio.sleep(FOREVER))
        await asyncio.sleep(0)  # the task starts and sleeps
        task.cancel()
        done_at_once = task.done()
        await asyncio.sleep(0)  # one iteration: the task's wake-up with CancelledError runs first
        return done_at_once, task.done(), task.cancelled()

    assert asyncio.run(main()) == (False, True, True)


def test_a_swallowed_cancellation_still_counts_until_uncancelled() -> None:
    """cancellation.md: the task ends normally, cancelling() stays 1, uncancel() takes it back."""

    async def refuses() -> str:
        try:
            await asyncio.sleep(FOREVER)
        except asyncio.CancelledError:
            return "refused"
        return "slept"

    async def main() -> tuple[str, bool, int, int]:
        task = asyncio.create_task(refuses())
        await asyncio.sleep(0)
        task.cancel()
        result = await task
        return result, task.cancelled(), task.cancelling(), task.uncancel()

    assert asyncio.run(main()) == ("refused", False, 1, 0)


def test_timeout_cancels_the_current_task_and_uncancels_it() -> None:
    """cancellation.md: asyncio.timeout creates no task and leaves no cancellation behind."""

    async def main() -> tuple[bool, int, bool]:
        me = asyncio.current_task()
        tasks_before = asyncio.all_tasks()
        try:
            async with asyncio.timeout(0) as deadline:
                assert asyncio.all_tasks() == tasks_before
                await asyncio.sleep(FOREVER)
        except TimeoutError:
            return deadline.expired(), me.cancelling(), asyncio.current_task() is me
        return False, -1, False

    assert asyncio.run(main()) == (True, 0, True)


async def fail_soon() -> None:
    await asyncio.sleep(0)
    raise ValueError("failed")


def test_gathers_first_exception_propagates_while_the_others_keep_running() -> None:
    """tasks.md: gather raises at once, cancels nothing; return_exceptions makes it a result."""

    async def main() -> tuple[str, list[bool], list[int], list[object]]:
        release = asyncio.Event()

        async def waits(n: int) -> int:
            await release.wait()
            return n

        others = [asyncio.create_task(waits(1)), asyncio.create_task(waits(2))]
        try:
            await asyncio.gather(others[0], fail_soon(), others[1])
        except ValueError as error:
            caught = str(error)
        running = [not task.done() for task in others]
        release.set()
        results = [await task for task in others]
        with_exceptions = await asyncio.gather(waits(3), fail_soon(), return_exceptions=True)
        return caught, running, results, [repr(r) for r in with_exceptions]

    assert asyncio.run(main()) == ("failed", [True, True], [1, 2], ["3", "ValueError('failed')"])


def test_a_task_group_cancels_the_other_children_when_one_fails() -> None:
    """tasks.md: the group cancels the rest, then raises an ExceptionGroup."""

    async def main() -> tuple[list[str], list[bool], int]:
        others: list[asyncio.Task[None]] = []
        errors: list[str] = []
        try:
            async with asyncio.TaskGroup() as tg:
                others.extend(tg.create_task(asyncio.sleep(FOREVER)) for _ in range(2))
                tg.create_task(fail_soon())
        except* ValueError as group:
            errors = [repr(error) for error in group.exceptions]
        # The group cancelled main too while it waited; since 3.13 it always withdraws that with
        # uncancel(), while 3.11 and 3.12 leave it counted when the body had already finished.
        return errors, [task.cancelled() for task in others], asyncio.current_task().cancelling()

    left_counted = 0 if sys.version_info >= (3, 13) else 1
    assert asyncio.run(main()) == (["ValueError('failed')"], [True, True], left_counted)


def test_wait_for_runs_a_coroutine_in_the_current_task_since_312() -> None:
    """cancellation.md: 3.12+ runs the coroutine in the caller's task; 3.11 wraps it in a task."""

    async def main() -> bool:
        caller = asyncio.current_task()

        async def which() -> bool:
            return asyncio.current_task() is caller

        return await asyncio.wait_for(which(), timeout=FOREVER)

    assert asyncio.run(main()) is (sys.version_info >= (3, 12))


def test_wait_for_returns_the_value_when_the_cancellation_is_swallowed() -> None:
    """cancellation.md: no TimeoutError if the awaited code swallows the cancellation."""

    async def swallows() -> str:
        try:
            await asyncio.Event().wait()  # never set: only the timeout ends this wait
        except asyncio.CancelledError:
            return "swallowed"
        return "woke"

    async def main() -> str:
        return await asyncio.wait_for(swallows(), timeout=0.01)

    assert asyncio.run(main()) == "swallowed"


def test_timers_due_when_the_loop_wakes_run_in_one_iteration() -> None:
    """tasks.md: the loop runs every due timer in one iteration, what they schedule in the next."""
    order: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        when = loop.time() + 0.01
        for name in "abc":
            loop.call_at(
                when,
                lambda name=name: (order.append(name), loop.call_soon(order.append, name.upper())),
            )
        await asyncio.sleep(0.05)

    asyncio.run(main())
    # All three timers, then what they scheduled. Equal deadlines leave the loop's heap, not
    # creation order, to decide among them (a, c, b here), so only the grouping is asserted.
    assert sorted(order[:3]) == ["a", "b", "c"]
    assert order[3:] == [name.upper() for name in order[:3]]


def debug_flag(*flags: str, env: str | None) -> str:
    """Whether a fresh interpreter's asyncio.run loop is in debug mode."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONASYNCIODEBUG" and not k.startswith("PYTHONDEV")
    }
    if env is not None:
        environ["PYTHONASYNCIODEBUG"] = env
    code = (
        "import asyncio\n"
        "async def m(): print(asyncio.get_running_loop().get_debug())\n"
        "asyncio.run(m())"
    )
    run = subprocess.run(
        [sys.executable, *flags, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


def test_any_non_empty_pythonasynciodebug_turns_debug_mode_on_unless_e() -> None:
    """debug-mode.md: even PYTHONASYNCIODEBUG=0 turns it on; -E ignores it; -X dev turns it on."""
    assert debug_flag(env=None) == "False"
    assert debug_flag(env="") == "False"
    assert debug_flag(env="1") == "True"
    assert debug_flag(env="0") == "True"
    assert debug_flag("-E", env="1") == "False"
    assert debug_flag("-X", "dev", env=None) == "True"


def test_get_event_loop_without_a_loop_by_version() -> None:
    """event-loop.md: silent on 3.11, a DeprecationWarning on 3.12 and 3.13, an error from 3.14."""
    code = "import asyncio\nasyncio.get_event_loop()\nprint('ok')"
    run = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
    )
    if sys.version_info < (3, 12):
        assert run.stdout.strip() == "ok"
    elif sys.version_info < (3, 14):
        assert "DeprecationWarning: There is no current event loop" in run.stderr
    else:
        assert "RuntimeError: There is no current event loop" in run.stderr


def test_version_dependent_apis() -> None:
    """tasks.md, event-loop.md, debug-mode.md: what each API gained, and when."""

    async def accepts_eager_start() -> bool:
        coro = asyncio.sleep(0)
        try:
            await asyncio.create_task(coro, eager_start=True)
        except TypeError:
            coro.close()
            return False
        return True

    assert asyncio.run(accepts_eager_start()) is (sys.version_info >= (3, 14))
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:  # Runner has it since 3.11
        runner.run(asyncio.sleep(0))
    coro = asyncio.sleep(0)
    try:
        asyncio.run(coro, loop_factory=asyncio.new_event_loop)
        run_has_loop_factory = True
    except TypeError:
        coro.close()
        run_has_loop_factory = False
    assert run_has_loop_factory is (sys.version_info >= (3, 12))
    assert hasattr(asyncio, "eager_task_factory") is (sys.version_info >= (3, 12))
    assert hasattr(asyncio, "print_call_graph") is (sys.version_info >= (3, 14))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.set_event_loop_policy(None)
    deprecated = any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert deprecated is (sys.version_info >= (3, 14))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_trace_page_names_every_key_of_a_real_json_trace(language: str) -> None:
    """trace.md: each top-level key and each task key of `--json` is described on the page."""
    run = subprocess.run(
        [sys.executable, "-m", "asyncio_notes", "--json", "examples/ch02/concurrent_tasks.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    trace = json.loads(run.stdout)
    page = (REPO / f"docs/{language}/trace.md").read_text(encoding="utf-8")
    section = page[page.index("{ #json }") : page.index("{ #virtual-clock }")]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    keys = set(trace) | {key for task in trace["tasks"] for key in task}
    for iteration in trace.get("iterations", []):  # the loop's story, in traces that have it
        keys |= set(iteration)
        for ran in iteration["ran"]:
            keys |= set(ran)
            keys |= {key for handle in ran["ready"] + ran["timers"] for key in handle}
    assert keys <= documented, (
        f"not described in docs/{language}/trace.md: {sorted(keys - documented)}"
    )


def test_a_task_cancelled_before_it_starts_runs_none_of_its_coroutine() -> None:
    """cancellation.md: not a line of the coroutine runs."""
    ran: list[str] = []

    async def body() -> None:
        ran.append("started")

    async def main() -> bool:
        task = asyncio.create_task(body())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert asyncio.run(main()) is True
    assert ran == []


def test_asyncio_run_cancels_the_tasks_main_leaves_behind() -> None:
    """tasks.md: had main returned at once, asyncio.run would have cancelled gather's other task."""
    left: list[asyncio.Task[None]] = []

    async def main() -> None:
        left.append(asyncio.create_task(asyncio.sleep(FOREVER)))
        await asyncio.sleep(0)

    asyncio.run(main())
    assert left[0].cancelled()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager_task_factory is new in 3.12")
def test_an_eager_task_runs_until_it_first_waits_inside_create_task() -> None:
    """tasks.md: with eager_task_factory, create_task runs the coroutine up to its first wait."""
    ran: list[str] = []

    async def body() -> None:
        ran.append("before the wait")
        await asyncio.sleep(0)
        ran.append("after the wait")

    async def main() -> list[str]:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        task = asyncio.create_task(body())
        seen = list(ran)
        await task
        return seen

    assert asyncio.run(main()) == ["before the wait"]
