// Precompile the vendored Pyodide's standard library for the in-page runner, with that same
// Pyodide in Node (so the bytecode's magic number is the interpreter's own). Called by
// `python -m asyncio_notes.devtools.vendor pyodide` right after the package is extracted:
//
//   node tools/pyodide/precompile.mjs PYODIDE_DIR INPUT_JSON OUTPUT_ZIP
//
// It starts Pyodide from PYODIDE_DIR as the runner's worker does (overrides/assets/javascripts/
// runner-worker.mjs), writes the runner's bundle from INPUT_JSON ({package, examples}, as
// asyncio_notes/sitebuild/runner_bundle.py makes it; plus `run`, the examples to run) into
// site-packages and the working directory, imports asyncio_notes.browser and runs every example
// through run_example. Then precompile.py writes OUTPUT_ZIP: PYODIDE_DIR/python_stdlib.zip with a
// .pyc beside each standard-library module now loaded. The last line of stdout is JSON:
// {"archive": the zip's path in Pyodide, "modules": the .py entries precompiled, "runs": N}.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { installBundle } from "../../overrides/assets/javascripts/runner-install.mjs";

const [dir, input, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node precompile.mjs PYODIDE_DIR INPUT_JSON OUTPUT_ZIP");
  process.exit(2);
}
const indexURL = resolve(dir) + "/";
const here = dirname(fileURLToPath(import.meta.url));
const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
// The examples' own printing is captured by the runner; anything else must not reach stdout.
const log = (line) => console.error(line);
const pyodide = await loadPyodide({ indexURL, stdout: log, stderr: log });

const bundle = JSON.parse(readFileSync(input, "utf-8"));
const runExample = installBundle(pyodide, bundle);
for (const path of bundle.run) {
  const result = runExample(path, bundle.examples[path]);
  const { error } = result.toJs({ dict_converter: Object.fromEntries });
  result.destroy();
  if (error) log(`${path}: ${error}`);
}

const stock = "/tmp/precompile/stock.zip";
const out = "/tmp/precompile/out.zip";
pyodide.FS.mkdirTree("/tmp/precompile");
pyodide.FS.writeFile(stock, readFileSync(join(indexURL, "python_stdlib.zip")));
const namespace = pyodide.globals.get("dict")();
pyodide.runPython(readFileSync(join(here, "precompile.py"), "utf-8"), { globals: namespace });
const summary = namespace.get("main")(stock, out);
const { archive, modules } = summary.toJs({ dict_converter: Object.fromEntries });
summary.destroy();
writeFileSync(output, pyodide.FS.readFile(out));
console.log(JSON.stringify({ archive, modules, runs: bundle.run.length }));
