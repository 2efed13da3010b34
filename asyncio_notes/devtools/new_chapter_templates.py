"""What a new chapter starts with: its index page in each language and a first example, and
the words that name it (headings, anchor, nav titles). new_chapter.py fills them in and writes them.

The pages hold placeholders (HTML comments) that say what to write where; the example is a real
program whose `#>` output comments are written by running it, never kept here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

EXAMPLE_NAME = "hello"
# Nav titles of a chapter's notebook page, as chapter 2's read.
NOTEBOOK_TITLE = {"zh": "第 {n} 章 Notebook", "en": "Chapter {n} notebook"}


@dataclass(frozen=True)
class Chapter:
    """The chapter being scaffolded, as its arguments were checked."""

    num: str  # "03"
    zh_title: str
    en_title: str

    @property
    def n(self) -> int:
        return int(self.num)

    @property
    def dir(self) -> str:
        return f"ch{self.num}"

    @property
    def zh_heading(self) -> str:
        return f"第 {self.n} 章 {self.zh_title}"

    @property
    def en_heading(self) -> str:
        return f"Chapter {self.n}: {self.en_title}"

    @property
    def anchor(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.en_title.lower()).strip("-")
        return slug or f"chapter-{self.num}"


EXAMPLE = '''\
"""Two tasks sleep at the same time, so main takes 2 seconds, not 1 + 2 = 3."""

import asyncio
import time


async def say_after(delay: float, what: str) -> None:
    await asyncio.sleep(delay)
    print(what)


async def main() -> None:
    start = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(say_after(1, "hello"), name="hello")
        tg.create_task(say_after(2, "world"), name="world")
    print(f"finished in {time.perf_counter() - start:.1f} s")


asyncio.run(main())
'''

PAGE = {
    "zh": """\
---
description: {description}
---

# {heading} {{ #{anchor} }}

<!-- 在这里写本章的导言：这一章讲什么，读完之后能做什么。 -->

<!-- 本章变长时，每一节写成本目录下的一个页面（两种语言文件名相同），在导言后面用一个列表按阅读顺序
链接它们，并在 mkdocs.yml 和 mkdocs.en.yml 的 nav 里把它们列在本章下面。 -->

本章的每个代码块都是仓库里一个能直接运行的文件。在仓库根目录下运行，例如：

```console
$ python {example}
```

## 第一个例子 {{ #first-example }}

两个任务同时等待：一个睡 1 秒，一个睡 2 秒，所以 `main` 一共用 2 秒，而不是 1 + 2 = 3 秒。

--8<-- "build/generated/{chapter}/{name}/tabs.zh.md"
""",
    "en": """\
---
description: {description}
---

# {heading} {{ #{anchor} }}

<!-- Introduce the chapter here: what it covers, and what the reader can do after it. -->

<!-- As the chapter grows, give each section a page of its own in this directory (the same file
name in both languages), link them in reading order from a contents list after the introduction,
and list them under the chapter in the nav of mkdocs.yml and mkdocs.en.yml. -->

Every code block in this chapter is a file in the repository that you can run as it is. Run the
examples from the repository root, for example:

```console
$ python {example}
```

## A first example {{ #first-example }}

Two tasks wait at the same time: one sleeps for 1 second, the other for 2, so `main` takes 2
seconds in all, not 1 + 2 = 3.

--8<-- "build/generated/{chapter}/{name}/tabs.en.md"
""",
}


def page(lang: str, chapter: Chapter) -> str:
    """The chapter's index.md in `lang`; the description is JSON-quoted (JSON is YAML), so any
    title reads back as it was typed."""
    if lang == "zh":
        heading = chapter.zh_heading
        description = f"{heading}：从一个可以运行的 asyncio 例子开始。"
    else:
        heading = chapter.en_heading
        description = f"{heading}, starting from a runnable asyncio example."
    return PAGE[lang].format(
        description=json.dumps(description, ensure_ascii=False),
        heading=heading,
        anchor=chapter.anchor,
        example=f"examples/{chapter.dir}/{EXAMPLE_NAME}.py",
        chapter=chapter.dir,
        name=EXAMPLE_NAME,
    )
