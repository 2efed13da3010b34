// The in-page runner's Web Worker: Pyodide (vendored, asyncio_notes/devtools/vendor.py) with the
// project's own Python from the build's bundle (asyncio_notes/sitebuild/runner_bundle.py): the
// package goes into site-packages, the examples into the working directory at their site paths.
// Each run calls asyncio_notes.browser.run_example straight from JavaScript (no Python frame of
// ours above it, as in the build's child process). Messages: see runner.mjs.

import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";

const INDEX = new URL("../vendor/pyodide/", import.meta.url).href;
let runExample = null;

async function init(bundleURL) {
  const [pyodide, bundle] = await Promise.all([
    // Stray output (none is expected: the runner captures the script's) goes to the console.
    loadPyodide({ indexURL: INDEX, stdout: console.log, stderr: console.warn }),
    fetch(bundleURL).then((response) => {
      if (!response.ok) throw new Error(`${bundleURL}: ${response.status}`);
      return response.json();
    }),
  ]);
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  const cwd = pyodide.runPython("import os; os.getcwd()");
  const write = (root, files) => {
    for (const [path, text] of Object.entries(files)) {
      const target = `${root}/${path}`;
      pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
      pyodide.FS.writeFile(target, text);
    }
  };
  write(sitePackages, bundle.package);
  write(cwd, bundle.examples);
  runExample = pyodide.pyimport("asyncio_notes.browser").run_example;
  return bundle.examples;
}

let examples = null;

self.onmessage = async ({ data }) => {
  if (data.type === "init") {
    try {
      examples = await init(data.bundle);
      self.postMessage({ type: "ready" });
    } catch (error) {
      self.postMessage({ type: "error", message: String(error) });
    }
    return;
  }
  const { id, path, source } = data;
  self.postMessage({ type: "started", id });
  const started = performance.now();
  try {
    // An unchanged example runs from the published file (restored if an edit replaced it).
    const proxy = runExample(path, source ?? examples[path] ?? null);
    const result = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    self.postMessage({ type: "result", id, ms: performance.now() - started, ...result });
  } catch (error) {
    self.postMessage({ type: "failed", id, message: String(error) });
  }
};
