"""The sentences a chapter notebook adds of its own, in each language (notebooks.py).

Everything else in a notebook comes from the chapter's pages or the example files.
"""

TEXT = {
    "zh": {
        "title": "{title} · Notebook",
        "about": (
            "这个 Notebook 由[本章的网页]({page})和 `{examples}` 中的示例文件自动生成，"
            "请不要手工修改。每个代码单元格就是一个示例文件；Jupyter 里事件循环已经在运行，"
            "所以文件末尾的 `asyncio.run(main())` 在这里写成了 `await main()`。"
            "单元格下方的输出来自经过检查的那次运行：示例在虚拟时钟下运行，所以打印出的耗时是精确值；"
            "在你自己的机器上运行时，睡眠会真实地花费时间，耗时也会略长一点。"
        ),
        "relative": (
            "这个 Notebook 里指向网页的链接是相对地址，只有在网站上打开它时才能用；"
            "下载到本地后，请到网站上阅读，或者看仓库里的 `{docs}`。"
        ),
        "helpers": (
            "示例用到的辅助函数在 `{path}` 中。请先运行下面这个单元格：它定义这些函数，"
            "并把它们注册为模块 `util`，这样示例里的 `from util import ...` 就能照常工作。"
        ),
        "helpers_comment": (
            "# 示例文件用 `from util import ...` 导入这些辅助函数；\n"
            "# 把它们注册为模块 util，这些导入在 Notebook 里也能照常工作。"
        ),
        "section_link": "[在网页上阅读这一节 →]({url})",
        "cannot_run": (
            "**`{path}` 不能在 Notebook 里运行。** {reason}"
            "请在仓库根目录下用终端运行这个文件：\n\n"
            "```console\n$ python {path}\n```\n\n"
            "{fence}python\n{code}\n{fence}\n\n"
            "经过检查的输出：\n\n{output_fence}text\n{output}\n{output_fence}"
        ),
        "reason_own_loop": (
            "它自己创建并驱动事件循环（{details}），"
            "而 Jupyter 内核已经在这个线程里运行着一个事件循环，"
            "在正在运行的循环里无法再启动另一个循环。"
        ),
        "reason_runner": (
            "它用 `asyncio.Runner` 自己管理事件循环，"
            "而 Jupyter 内核已经在这个线程里运行着一个事件循环，"
            "`Runner` 在这种情况下会拒绝启动。"
        ),
        "reason_run_args": (
            "它调用 `asyncio.run` 时带了参数 {details}，"
            "这些参数设置的是 `asyncio.run` 新建的事件循环；"
            "在 Notebook 里代码运行在 Jupyter 内核的循环上，无法原样表达"
            "（调试模式的报告也只会写到内核的日志里，而不是单元格下方）。"
        ),
        "reason_nested_run": (
            "它在函数内部调用 `asyncio.run`，"
            "而当前线程已经有事件循环在运行时，`asyncio.run` 会报错。"
        ),
        "unplaced": "本章页面没有展示的示例",
        "and": "、",
    },
    "en": {
        "title": "{title} · notebook",
        "about": (
            "This notebook is generated from the [chapter's pages]({page}) and the example files "
            "in `{examples}`; do not edit it by hand. Each code cell is one example file. "
            "Jupyter already runs an event loop, so the `asyncio.run(main())` at the end of a "
            "file is written `await main()` here. The output under each cell comes from the "
            "checked run: the examples ran under a virtual clock, so the printed durations are "
            "exact; on your own machine the sleeps take real time and the durations come out "
            "slightly longer."
        ),
        "relative": (
            "The links to the site's pages in this notebook are relative: they work where the "
            "site shows it. In a downloaded copy, read the pages on the site, or in `{docs}` "
            "in the repository."
        ),
        "helpers": (
            "The helpers the examples use live in `{path}`. Run the next cell first: it defines "
            "them and registers them as the module `util`, so the examples' "
            "`from util import ...` work unchanged."
        ),
        "helpers_comment": (
            "# The example files import these helpers with `from util import ...`;\n"
            "# registering them as the module util makes those imports work in the notebook too."
        ),
        "section_link": "[Read this section on the site →]({url})",
        "cannot_run": (
            "**`{path}` cannot run in a notebook.** {reason} "
            "Run the file in a terminal from the repository root instead:\n\n"
            "```console\n$ python {path}\n```\n\n"
            "{fence}python\n{code}\n{fence}\n\n"
            "Checked output:\n\n{output_fence}text\n{output}\n{output_fence}"
        ),
        "reason_own_loop": (
            "It creates and drives its own event loop ({details}), and the Jupyter kernel "
            "already runs an event loop in this thread: a second loop cannot start inside a "
            "running one."
        ),
        "reason_runner": (
            "It manages its own event loop with `asyncio.Runner`, and the Jupyter kernel "
            "already runs an event loop in this thread, so the `Runner` refuses to start."
        ),
        "reason_run_args": (
            "It calls `asyncio.run` with {details}, which configures the new event loop that "
            "`asyncio.run` creates; in a notebook the code runs on the Jupyter kernel's loop, "
            "so this cannot be expressed as it is (debug mode's reports would also go to the "
            "kernel's log, not under the cell)."
        ),
        "reason_nested_run": (
            "It calls `asyncio.run` inside a function, and `asyncio.run` raises an error when "
            "an event loop is already running in the thread."
        ),
        "unplaced": "Examples not shown on the chapter's pages",
        "and": ", ",
    },
}
