// Puts the runner's bundle (asyncio_notes/sitebuild/runner_bundle.py) into a started Pyodide: the
// package into site-packages, the examples into the working directory at their site paths; returns
// asyncio_notes.browser.run_example. Used by the page's worker (runner-worker.mjs) and by the
// vendoring step that precompiles the standard library (tools/pyodide/precompile.mjs).

export function installBundle(pyodide, bundle) {
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
  return pyodide.pyimport("asyncio_notes.browser").run_example;
}
