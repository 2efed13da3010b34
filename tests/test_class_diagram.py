"""render/class_diagram.py: the diagram says what the running asyncio is, and nothing else."""

from __future__ import annotations

import asyncio
import re
import sys
import types

import pytest

from asyncio_notes.render import class_diagram as cd


def blocks(source: str) -> dict[str, list[str]]:
    """Class name -> its member lines."""
    found = re.findall(r"(?ms)^    class (\w+) \{\n(.*?)^    \}$", source)
    assert len(found) == len({name for name, _ in found}), "a class is declared twice"
    return {name: [line.strip() for line in body.splitlines()] for name, body in found}


def method_names(members: list[str]) -> set[str]:
    return {line[1:].split("(")[0] for line in members if "(" in line}


@pytest.fixture(scope="module")
def source() -> str:
    return cd.render_class_diagram()


def test_task_is_shown_as_a_future_that_drives_a_coroutine(source: str) -> None:
    lines = source.splitlines()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert lines[:4] == ["---", f"title: asyncio in Python {version}", "---", "classDiagram"]
    assert "    Future <|-- Task : is a" in lines
    assert "    Task --> coroutine : drives" in lines
    assert set(blocks(source)) == {"Future", "Task", "coroutine"}


def test_members_are_the_public_api(source: str) -> None:
    found = blocks(source)
    future = {"result", "exception", "set_result", "set_exception", "cancel", "done"}
    assert future | {"add_done_callback"} <= method_names(found["Future"])
    assert {"get_coro", "get_name"} <= method_names(found["Task"])
    assert {"send", "throw", "close"} <= method_names(found["coroutine"])
    assert "+cr_running" in found["coroutine"]  # attributes have no parentheses


def test_task_lists_only_what_it_adds_to_future(source: str) -> None:
    task = method_names(blocks(source)["Task"])
    assert not task & method_names(blocks(source)["Future"])
    assert all(not name.startswith("_") for block in blocks(source).values() for name in block)


def test_every_member_exists_on_its_class(source: str) -> None:
    classes = {"Future": asyncio.Future, "Task": asyncio.Task, "coroutine": types.CoroutineType}
    for name, members in blocks(source).items():
        for member in members:
            assert hasattr(classes[name], member[1:].split("(")[0]), f"{name}.{member}"


def test_the_diagram_follows_the_classes_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap in made-up classes: their members and hierarchy appear, asyncio's do not."""

    class Future:
        def result(self) -> None: ...

    class Task(Future):
        def get_coro(self) -> None: ...

        def made_up(self, depth: int, *, colour: str) -> None: ...

    class Unrelated:
        def get_coro(self) -> None: ...

    monkeypatch.setattr(cd.asyncio, "Future", Future)
    monkeypatch.setattr(cd.asyncio, "Task", Task)
    found = blocks(cd.render_class_diagram())
    assert found["Future"] == ["+result()"]
    assert found["Task"] == ["+get_coro()", "+made_up(depth, colour)"]

    monkeypatch.setattr(cd.asyncio, "Task", Unrelated)
    source = cd.render_class_diagram()
    assert "<|--" not in source  # no inheritance edge without inheritance
    assert "Unrelated --> coroutine : drives" in source


def test_no_drives_edge_without_get_coro(monkeypatch: pytest.MonkeyPatch) -> None:
    class Task(asyncio.Future):
        pass

    monkeypatch.setattr(cd.asyncio, "Task", Task)
    assert "drives" not in cd.render_class_diagram()


def test_the_same_interpreter_gives_the_same_text(source: str) -> None:
    assert cd.render_class_diagram() == source


def test_the_source_survives_an_unescaped_html_fence(source: str) -> None:
    """mermaid2's fence puts the source into HTML as it is: `<` must not open a tag."""
    assert not re.search(r"<[A-Za-z/!?]|&", source)
