"""pymdownx.snippets as the pages use it (`markdown_extensions:` in mkdocs.yml): it reads only
files under examples/ and build/generated/, and shows what they hold as text.

includes.py checks every include before Markdown runs, with the page's line; this is the check
on what pymdownx itself resolved, links followed, so no line it reads differently from that
check (a form feed, a block include) can publish another file. And an example's source or
printed output is content, never notation: a `--8<--` line in it is shown, not expanded.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pymdownx.snippets import SnippetExtension, SnippetMissingError, SnippetPreprocessor

# What a page may include, under each base path (mkdocs.yml: the repository root).
ROOTS = ("examples", "build/generated")
# The generated snippets whose includes are meant (sitebuild/tabs.py writes them).
_TABS = re.compile(r"(^|/)build/generated/ch\d\d/[A-Za-z0-9_]+/(tabs|code-output)\.[a-z]{2}\.md$")
# In an example, `# --8<-- [start:name]` on a line of its own marks a section (CONTRIBUTING.md).
_SECTION_COMMENT = re.compile(r"^[ \t]*#[ \t]*$")


def expands(path: str | os.PathLike[str]) -> bool:
    """The included file's own includes are meant: a generated tabs snippet (sitebuild/tabs.py).
    Any other file is content, and its `--8<--` lines are shown as they are."""
    return bool(_TABS.search(Path(path).as_posix()))


def _under(path: str, folder: str) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


class SafeSnippetPreprocessor(SnippetPreprocessor):
    def _allowed(self, path: str) -> bool:
        """The file, links followed, is a regular file under examples/ or build/generated/."""
        folders = [os.path.join(base, root) for base in self.base_path for root in ROOTS]
        return os.path.isfile(path) and any(_under(path, folder) for folder in folders)

    def get_snippet_path(self, path: str) -> str | None:
        found = super().get_snippet_path(path)
        if found is not None and not self._allowed(found):
            raise SnippetMissingError(
                f"Snippet {path!r} is {os.path.realpath(found)}: pages may include only files "
                f"under examples/ and build/generated/, after following links"
            )
        return found

    def process_snippet_lines(self, lines: list[str], target: dict) -> list[str]:
        if target.get("is_url") or expands(target["snippet"]):
            return lines
        example = any(_under(target["snippet"], os.path.join(b, ROOTS[0])) for b in self.base_path)
        # In a section's lines pymdownx leaves section markers alone; in a whole file it removes
        # them, which an example's own `# --8<-- [start:name]` comments are meant for.
        sections = target["section"] is None
        return [self._escape(line, sections, keep=example) for line in lines]

    def _escape(self, line: str, sections: bool, *, keep: bool) -> str:
        """The line as pymdownx shows it after removing one `;` from escaped notation."""
        found = self.RE_ALL_SNIPPETS.match(line)
        if found:
            return found["space"] + ";" + line[len(found["space"]) :]
        section = self.match_section(line) if sections else None
        if section and not (keep and _SECTION_COMMENT.match(section["pre"])):
            at = section.start("escape")
            return line[:at] + ";" + line[at:]
        return line


class SafeSnippetExtension(SnippetExtension):
    def extendMarkdown(self, md) -> None:
        super().extendMarkdown(md)
        md.preprocessors.register(SafeSnippetPreprocessor(self.getConfigs(), md), "snippet", 32)


def makeExtension(*args, **kwargs) -> SafeSnippetExtension:
    return SafeSnippetExtension(*args, **kwargs)
