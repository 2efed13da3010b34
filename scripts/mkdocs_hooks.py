"""MkDocs glue, kept thin: generate page material before a build, and place the English site.

Listed under `hooks:` in mkdocs.yml (and so inherited by mkdocs.en.yml).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.generate import GenerationError, generate_all


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # mkdocs.en.yml inherits the Chinese site's URL; the English site lives under en/.
    url = config.site_url
    if config.extra.get("lang_key") == "en" and url and not url.rstrip("/").endswith("/en"):
        config.site_url = url.rstrip("/") + "/en/"
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    try:
        generate_all()
    except GenerationError as exc:
        raise PluginError(str(exc)) from None
