"""Rules every page follows, checked from the Markdown sources (used by tests/test_parity.py).

- the Chinese and English sites have the same pages;
- each pair of pages has the same explicit heading ids and includes the same files, in order;
- every example is included by both languages; no Python is pasted into Markdown.
Run `python scripts/parity.py` for a report.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.catalog import REPO, example_files, helper_files, relative

DOCS = REPO / "docs"
LANGS = ("zh", "en")

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`{]*)(?P<rest>.*)$")
_SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<target>[^"]+)"\s*$')
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*$")
_HEADING_ID = re.compile(r"\{\s*[^}]*#(?P<id>[A-Za-z0-9_-]+)[^}]*\}\s*$")
_PYTHON_LANGS = {"py", "python", "python3", "py3", "pycon", "pyi"}


@dataclass
class Page:
    lang: str
    path: Path  # relative to docs/<lang>
    text: str

    @property
    def name(self) -> str:
        return f"docs/{self.lang}/{self.path.as_posix()}"


def pages(lang: str) -> dict[Path, Page]:
    root = DOCS / lang
    return {
        p.relative_to(root): Page(lang, p.relative_to(root), p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.md"))
    }


def _body_lines(page: Page) -> list[tuple[int, str, bool]]:
    """(line number, line, inside a fenced block) with front matter skipped."""
    lines = page.text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    out, fence = [], None
    for i in range(start, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if m and fence is None:
            fence = m.group("fence")
            out.append((i + 1, line, False))
        elif m and fence and m.group("fence").startswith(fence) and not m.group("info"):
            fence = None
            out.append((i + 1, line, False))
        else:
            out.append((i + 1, line, fence is not None))
    return out


def includes(page: Page) -> list[str]:
    """Snippet targets in order, e.g. 'examples/ch02/util.py:delay'."""
    return [m.group("target") for _, line, _ in _body_lines(page) if (m := _SNIPPET.match(line))]


def headings(page: Page) -> list[tuple[int, str, str | None]]:
    """(line, heading text, explicit id or None) for every Markdown heading outside code."""
    found = []
    for lineno, line, in_code in _body_lines(page):
        if in_code:
            continue
        m = _HEADING.match(line)
        if m:
            idm = _HEADING_ID.search(m.group("text"))
            found.append((lineno, m.group("text"), idm.group("id") if idm else None))
    return found


def pasted_python(page: Page) -> list[int]:
    """Lines where a Python block starts whose body is not only snippet includes."""
    bad, lines = [], page.text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group("fence"), m.group("info").lower().lstrip(".")
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = [ln for ln in lines[i + 1 : j] if ln.strip()]
        if lang in _PYTHON_LANGS and not all(_SNIPPET.match(ln) for ln in body):
            bad.append(i + 1)
        i = j + 1
    return bad


def _included_lines(page: Page) -> list[tuple[int, str]]:
    return [
        (n, m.group("target")) for n, line, _ in _body_lines(page) if (m := _SNIPPET.match(line))
    ]


def _differences(
    zh: Page, zh_items: list[tuple[int, str]], en: Page, en_items: list[tuple[int, str]]
) -> str:
    """Where two (line, item) sequences part ways, each place named by file and line."""
    a, b = [item for _, item in zh_items], [item for _, item in en_items]
    places = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        only_zh = ", ".join(f"'{a[i]}' ({zh.name}:{zh_items[i][0]})" for i in range(i1, i2))
        only_en = ", ".join(f"'{b[j]}' ({en.name}:{en_items[j][0]})" for j in range(j1, j2))
        if tag == "replace":
            places.append(f"zh has {only_zh} where en has {only_en}")
        elif tag == "delete":
            places.append(f"only zh has {only_zh}")
        elif tag == "insert":
            places.append(f"only en has {only_en}")
    return "; ".join(places)


def missing_includes(page: Page) -> list[str]:
    """Messages for snippet includes whose file does not exist, with the page's line number."""
    return [
        f"{page.name}:{lineno}: includes {target!r}, but {_include_path(target)} does not exist; "
        "create the file or correct the path (paths are relative to the repository root)"
        for lineno, line, _ in _body_lines(page)
        if (m := _SNIPPET.match(line))
        and not (REPO / _include_path(target := m.group("target"))).exists()
        and not _include_path(target).startswith("build/generated/")  # written during the build
    ]


def description(page: Page) -> str | None:
    m = re.match(r"^---\n(?P<fm>.*?)\n---\n", page.text, re.S)
    if not m:
        return None
    d = re.search(r"^description:\s*(?P<d>.+)$", m.group("fm"), re.M)
    return d.group("d").strip() if d else None


def _include_path(target: str) -> str:
    return re.sub(r":[A-Za-z0-9_,:-]+$", "", target)


def problems() -> list[str]:
    """Every rule violation, as messages naming the page, line and what to do."""
    found: list[str] = []
    site = {lang: pages(lang) for lang in LANGS}
    for lang, other in (("zh", "en"), ("en", "zh")):
        for path in sorted(set(site[lang]) - set(site[other])):
            counterpart = f"docs/{other}/{path.as_posix()}"
            found.append(f"{site[lang][path].name}: no {other} counterpart; add {counterpart}")
    for path in sorted(set(site["zh"]) & set(site["en"])):
        zh, en = site["zh"][path], site["en"][path]
        for page in (zh, en):
            for lineno, text, hid in headings(page):
                if hid is None:
                    found.append(
                        f"{page.name}:{lineno}: heading '{text}' has no explicit id; "
                        "add one such as { #my-section } (the same in both languages)"
                    )
            for lineno in pasted_python(page):
                found.append(
                    f"{page.name}:{lineno}: Python pasted into Markdown; put it in examples/ "
                    f'and include it with --8<-- "examples/..."'
                )
            if not description(page):
                found.append(f"{page.name}: front matter has no 'description:'")
        zh_ids = [(line, hid) for line, _, hid in headings(zh) if hid]
        en_ids = [(line, hid) for line, _, hid in headings(en) if hid]
        if [h for _, h in zh_ids] != [h for _, h in en_ids]:
            found.append(
                f"{zh.name} and {en.name}: heading ids differ: "
                + _differences(zh, zh_ids, en, en_ids)
            )
        if includes(zh) != includes(en):
            found.append(
                f"{zh.name} and {en.name}: included files differ (both must include the same "
                "files in the same order): "
                + _differences(zh, _included_lines(zh), en, _included_lines(en))
            )
    for lang in LANGS:
        included = {_include_path(t) for page in site[lang].values() for t in includes(page)}
        for example in example_files():
            for f in (example, *helper_files(example)):
                if relative(f) not in included:
                    found.append(
                        f"{relative(f)} is not included by any {lang} page; "
                        f'include it with --8<-- "{relative(f)}" in docs/{lang}/'
                    )
    return sorted(set(found))


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
