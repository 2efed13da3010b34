// The in-page runner's Web Worker: Pyodide (vendored, asyncio_notes/devtools/vendor.py) with the
// project's own Python from the build's bundle (asyncio_notes/sitebuild/runner_bundle.py): the
// package goes into site-packages, the examples into the working directory at their site paths.
// Each run calls asyncio_notes.browser.run_example straight from JavaScript (no Python frame of
// ours above it, as in the build's child process). Messages: see runner.mjs.
//
// The runtime's big files (the interpreter, the standard library) are fetched once and then
// served from Cache Storage, on every later page and visit, whatever the host's cache headers:
// the cache is named after the pinned version and the stdlib zip's digest (vendor.json: the zip
// is derived, asyncio_notes/devtools/vendor.py), and other caches of ours are deleted.
// Pyodide starts at once: its script loads while the manifest is fetched, and only its requests
// for the files kept in the cache wait for the cache's name.

import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";
import { installBundle } from "./runner-install.mjs";

const INDEX = new URL("../vendor/pyodide/", import.meta.url).href;
const CACHE_PREFIX = "asyncio-notes-pyodide-";
let runExample = null;

async function openCache(network) {
  const manifest = await network(`${INDEX}vendor.json`, { cache: "no-cache" });
  const { version, sha256 } = await manifest.json();
  const name = `${CACHE_PREFIX}${version}-${sha256["python_stdlib.zip"].slice(0, 12)}`;
  for (const old of await caches.keys()) {
    if (old.startsWith(CACHE_PREFIX) && old !== name) await caches.delete(old);
  }
  return caches.open(name);
}

function cacheRuntime() {
  if (!self.caches) return; // not a secure context: the browser's HTTP cache only
  const network = self.fetch.bind(self);
  const opened = openCache(network);
  opened.catch((error) => console.warn("runtime cache unavailable:", error));
  self.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input, self.location.href).href;
    if (!url.startsWith(INDEX)) return network(input, init);
    const cache = await opened.catch(() => null);
    if (!cache) return network(input, init);
    const hit = await cache.match(url);
    if (hit) return hit;
    const response = await network(input, init);
    // Stored while Pyodide reads its copy (a streamed compile need not wait for the whole file).
    if (response.ok) cache.put(url, response.clone()).catch((error) => console.warn(url, error));
    return response;
  };
}

async function init(bundleURL) {
  const start = performance.now();
  cacheRuntime();
  const [pyodide, bundle] = await Promise.all([
    // Stray output (none is expected: the runner captures the script's) goes to the console.
    loadPyodide({ indexURL: INDEX, stdout: console.log, stderr: console.warn }),
    fetch(bundleURL).then((response) => {
      if (!response.ok) throw new Error(`${bundleURL}: ${response.status}`);
      return response.json();
    }),
  ]);
  const loaded = performance.now();
  runExample = installBundle(pyodide, bundle);
  return { examples: bundle.examples, loadMs: loaded - start, importMs: performance.now() - loaded };
}

let examples = null;

self.onmessage = async ({ data }) => {
  if (data.type === "init") {
    try {
      const { examples: files, loadMs, importMs } = await init(data.bundle);
      examples = files;
      self.postMessage({ type: "ready", loadMs, importMs });
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
    // The heartbeat tells the page's watchdog that the code still awaits (browser.py).
    const alive = () => self.postMessage({ type: "alive", id });
    const proxy = runExample(path, source ?? examples[path] ?? null, alive);
    const result = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    self.postMessage({ type: "result", id, ms: performance.now() - started, ...result });
  } catch (error) {
    self.postMessage({ type: "failed", id, message: String(error) });
  }
};
