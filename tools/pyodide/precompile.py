"""Run by precompile.mjs inside the vendored Pyodide, after the runner's first work: add bytecode
(.pyc) for every standard-library module loaded so far to a copy of the stdlib zip.

Each .pyc is what zipimport itself would compile from the .py (zipimport._compile_source, so
co_filename is the .py's path inside the mounted zip and tracebacks do not change), stored as an
unchecked hash-based pyc (PEP 552): zipimport then loads it without reading the source. Every
entry of the zip is kept, in its order, with its date; each .pyc follows its .py, with the .py's
date, attributes and a fixed compression level, so the same input gives the same bytes.
"""

import sys
import zipimport

COMPRESSION_LEVEL = 9


def loaded_from(archive: str) -> list[str]:
    """The zip entries (.py) of the modules in sys.modules that zipimport loaded from `archive`.
    Call it before importing anything for the rebuild."""
    entries = set()
    for module in list(sys.modules.values()):
        loader = getattr(module, "__loader__", None)
        file = getattr(module, "__file__", None)
        if isinstance(loader, zipimport.zipimporter) and loader.archive == archive and file:
            entries.add(file.removeprefix(f"{archive}/"))
    if any(not entry.endswith(".py") for entry in entries):
        raise SystemExit(f"{archive} is not the stock zip: it already holds bytecode")
    return sorted(entries)


def rebuild(archive: str, entries: list[str], stock: str, out: str) -> None:
    """Copy the zip at `stock` (the bytes mounted at `archive`) to `out`, adding a .pyc after each
    of `entries`."""
    import importlib.util
    import zipfile
    from importlib._bootstrap_external import _code_to_hash_pyc

    wanted = set(entries)
    with zipfile.ZipFile(stock) as source, zipfile.ZipFile(out, "w") as target:
        target.comment = source.comment
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data, compresslevel=COMPRESSION_LEVEL)
            if info.filename not in wanted:
                continue
            wanted.remove(info.filename)
            code = zipimport._compile_source(f"{archive}/{info.filename}", data)
            pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            entry = zipfile.ZipInfo(f"{info.filename}c", date_time=info.date_time)
            entry.create_system = info.create_system
            entry.external_attr = info.external_attr
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, bytes(pyc), compresslevel=COMPRESSION_LEVEL)
    if wanted:
        raise SystemExit(f"not in {stock}: {sorted(wanted)}")


def main(stock: str, out: str) -> dict[str, object]:
    """Precompile what is loaded from the stdlib zip (the zip on sys.path): {"archive": its
    path, "modules": the entries precompiled}."""
    archive = next(path for path in sys.path if path.endswith(".zip"))
    entries = loaded_from(archive)
    rebuild(archive, entries, stock, out)
    return {"archive": archive, "modules": entries}
