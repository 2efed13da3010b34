"""The legend of the timelines, one per language: what each colour and mark means.

Written to build/generated/legend/<lang>.md; every page with a timeline includes its language's
legend right after its first timeline (parity.py counts the two files as one include). The
swatches take their colours from the same CSS variables as the charts (diagrams.css), so the
legend cannot drift from what the timelines draw (render/timeline_layout.py, render/gantt.py).
"""

from __future__ import annotations

import html
from pathlib import Path

from asyncio_notes.sitebuild.lock import replace_text

# (swatch class, text) in the order the legend shows them; then one note on the rows.
TEXT = {
    "zh": {
        "label": "时间线图例",
        "keys": [
            ("cpu", "绿色：这个任务的代码正在运行"),
            ("wait", "灰色：在等待（条上写着等什么）"),
            ("ready", "黄色：已经就绪，在等事件循环腾出手来"),
            ("print", "蓝色菱形：一次 print"),
            ("error", "红色菱形：任务被取消或出错"),
        ],
        "note": (
            "每行一个任务，Task-1 运行的是 main()；Task-N 是 asyncio 给任务起的名字，不是代码里的"
            "变量名。被截断的文字（…）在鼠标悬停、手指点按或用 Tab 键选中时显示全文。"
            "“逐步执行”标签页按事件循环的步骤重放同一次运行。"
        ),
    },
    "en": {
        "label": "Timeline legend",
        "keys": [
            ("cpu", "green: the task's code is running"),
            ("wait", "grey: waiting (the bar says on what)"),
            ("ready", "yellow: ready, waiting for the event loop to get to it"),
            ("print", "blue diamond: a print"),
            ("error", "red diamond: the task was cancelled or raised"),
        ],
        "note": (
            "One row per task; Task-1 runs main(). Task-N is the name asyncio gives a task, not a "
            "variable in the code. A label cut short (…) shows its full text when you hover over "
            "it, tap it, or reach it with the Tab key. The Step through tab replays the same run "
            "one step of the event loop at a time."
        ),
    },
}


def legend_html(lang: str) -> str:
    text = TEXT[lang]
    keys = "".join(
        f'<li><span class="timeline-swatch {kind}" aria-hidden="true"></span>{html.escape(words)}'
        "</li>"
        for kind, words in text["keys"]
    )
    return (
        f'<div class="timeline-legend" role="note" aria-label="{html.escape(text["label"])}" '
        f"data-search-exclude><ul>{keys}</ul><p>{html.escape(text['note'])}</p></div>\n"
    )


def write_legends(out_dir: Path) -> None:
    for lang in TEXT:
        out = out_dir / "legend" / f"{lang}.md"
        text = legend_html(lang)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            out.parent.mkdir(parents=True, exist_ok=True)
            replace_text(out, text)
