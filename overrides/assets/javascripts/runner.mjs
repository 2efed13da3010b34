// The in-page runner, imported by runner-on-demand.js on the reader's first Run or click into an
// example. Each example's code becomes an editor (the vendored CodeMirror 6 bundle); Run sends
// the code to one Web Worker per page (runner-worker.mjs: Pyodide, the project's own engine and
// renderers), and the Output and Timeline tabs are redrawn from what it returns. The worker is
// ended (and started afresh on the next Run) by Stop and by the watchdog, when a run takes more
// than WATCHDOG_MS of real time: a loop that never awaits cannot be interrupted otherwise
// (Pyodide's interrupt buffer needs a cross-origin-isolated page, which a static host cannot
// promise).
//
// The first Run waits on nothing it need not: the worker starts before the editor's code has
// arrived (it is imported alongside), and Mermaid with its timeline code loads while Python does.

import mermaid from "./mermaid-loader.mjs";

let cm = null; // the editor bundle, once loaded
const editorLoaded = import("../vendor/editor/editor.min.mjs").then((module) => (cm = module));

const WORKER = new URL("runner-worker.mjs", import.meta.url);
const BUNDLE = new URL("../runner/bundle.json", import.meta.url).href;
const WATCHDOG_MS = 5000;
const ZH = (document.documentElement.lang || "").startsWith("zh");
const TEXT = ZH
  ? {
      run: "运行",
      stop: "停止",
      reset: "还原",
      loading: "正在载入浏览器里的 Python（首次约需几秒）…",
      running: "运行中…",
      done: (ms) => `完成，用时 ${ms} 毫秒（真实时间）。输出和时间线已按这次运行重画。`,
      stopped: "已停止。",
      watchdog: `运行了 ${WATCHDOG_MS / 1000} 秒（真实时间）还没结束，已强行停止：代码可能卡在一个从不 await 的循环里（比如 while True: pass）。`,
      failed: "运行器出错：",
      hint: "按 Esc 再按 Tab 可离开编辑器。",
      editor: "可编辑的示例代码",
      noTasks: "这次运行没有创建任何任务，没有时间线可画。",
    }
  : {
      run: "Run",
      stop: "Stop",
      reset: "Reset",
      loading: "Loading Python for the browser (a few seconds the first time)…",
      running: "Running…",
      done: (ms) => `Done in ${ms} ms of real time. Output and Timeline now show this run.`,
      stopped: "Stopped.",
      watchdog: `Still running after ${WATCHDOG_MS / 1000} s of real time, so it was stopped: the code may be stuck in a loop that never awaits (such as while True: pass).`,
      failed: "The runner failed: ",
      hint: "Press Esc, then Tab, to leave the editor.",
      editor: "Editable example code",
      noTasks: "This run created no tasks, so there is no timeline to draw.",
    };

// The editor's code colours are Material's (its CSS variables): right in both schemes, and the
// same as the highlighted code it replaces. Defined once, for every editor on the page.
let highlightStyle = null;
function colours() {
  const { HighlightStyle, tags: t } = cm;
  return (highlightStyle ??= HighlightStyle.define(
    [
      [[t.keyword, t.controlKeyword, t.operatorKeyword, t.definitionKeyword, t.moduleKeyword], "keyword"],
      [[t.string, t.special(t.string)], "string"],
      [[t.comment, t.lineComment, t.blockComment], "comment"],
      [[t.number, t.integer, t.float], "number"],
      [[t.function(t.definition(t.variableName)), t.function(t.variableName)], "function"],
      [[t.definition(t.className), t.className], "constant"],
      [[t.bool, t.null, t.self, t.standard(t.variableName), t.atom], "constant"],
      [[t.operator, t.arithmeticOperator, t.compareOperator, t.logicOperator], "operator"],
      [[t.punctuation, t.paren, t.squareBracket, t.brace, t.separator], "punctuation"],
      [[t.meta, t.annotation], "special"],
    ].map(([tag, name]) => ({ tag, color: `var(--md-code-hl-${name}-color)` })),
  ));
}

// -- the worker -------------------------------------------------------------------------------

let worker = null;
let ready = null;
let loaded = null; // settles `ready`
let warm = false; // the worker has loaded Python and the runner
let startup = null; // how long the worker took to load Python and import the runner
let current = null; // {resolve, timer} of the run in progress
let queue = Promise.resolve();
let next = 0;

function startWorker() {
  worker = new Worker(WORKER, { type: "module" });
  ready = new Promise((resolve, reject) => (loaded = { resolve, reject }));
  ready.catch(() => {}); // reported by the run that awaits it
  worker.onmessage = ({ data }) => {
    if (data.type === "ready") {
      startup = { loadMs: data.loadMs, importMs: data.importMs };
      warm = true;
      loaded?.resolve();
    }
    else if (data.type === "error") loaded?.reject(new Error(data.message));
    else if (current && data.id === current.id) {
      if (data.type === "started") current.started();
      else finish({ ...data });
    }
  };
  worker.onerror = (event) => {
    const error = { type: "failed", message: event.message || "worker error" };
    loaded?.reject(new Error(error.message));
    if (current) finish(error);
  };
  worker.postMessage({ type: "init", bundle: BUNDLE });
  drawingReady();
}

function stopWorker() {
  worker?.terminate();
  loaded?.reject(Object.assign(new Error("stopped"), { stopped: true }));
  worker = ready = loaded = null;
  warm = false;
}

// Timelines are Mermaid gantt charts: a page whose diagrams sit in hidden tabs has not loaded
// Mermaid yet. Parsing a small chart loads the library and the gantt code, once, meanwhile.
const GANTT = "gantt\n  dateFormat x\n  section main\n  running :done, 0, 65ms\n";
let drawing = null;

function drawingReady() {
  drawing ??= mermaid.parse(GANTT).catch((error) => console.warn("Mermaid:", error));
}

function finish(result) {
  const run = current;
  current = null;
  clearTimeout(run.timer);
  run.resolve(result);
}

/** Run `source` (null: the published file) as `path`; resolves with the worker's answer.
 * Runs queue up: one worker runs one script at a time. (Also used by the browser tests.) */
export function execute(path, source, onStart) {
  const job = queue.then(async () => {
    if (!worker) startWorker();
    try {
      await ready;
    } catch (error) {
      if (error.stopped) return { type: "stopped" };
      stopWorker();
      return { type: "failed", message: error.message };
    }
    return new Promise((resolve) => {
      const id = ++next;
      current = {
        id,
        resolve,
        timer: null,
        started() {
          onStart?.();
          this.timer = setTimeout(() => {
            stopWorker();
            finish({ type: "watchdog" });
          }, WATCHDOG_MS);
        },
      };
      worker.postMessage({ type: "run", id, path, source });
    });
  });
  queue = job.catch(() => {});
  return job;
}

/** Stop whatever runs (or is loading) now: the worker is ended, the next Run starts one. */
export function stop() {
  stopWorker();
  if (current) finish({ type: "stopped" });
}

// -- one example ------------------------------------------------------------------------------

const examples = new WeakMap();

function panels(set) {
  return set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
}

function button(label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `md-button ${className}`;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function example(set) {
  let state = examples.get(set);
  if (state) return state;
  const [codePanel] = panels(set);
  const pre = codePanel.querySelector(".highlight > pre");
  const code = pre.querySelector("code");
  const bar = codePanel.querySelector(".runner-bar");
  const original = { text: code.textContent, html: code.innerHTML };
  const status = document.createElement("p");
  status.className = "runner-status";
  status.setAttribute("role", "status");
  const stopButton = button(TEXT.stop, "runner-stop", stop);
  stopButton.hidden = true;
  const resetButton = button(TEXT.reset, "runner-reset", () => reset(set));
  bar.querySelector(".runner-run").after(stopButton, resetButton);
  bar.after(status);
  state = { path: set.dataset.runnerExample, pre, code, original, status, stopButton, view: null };
  examples.set(set, state);
  return state;
}

function edited(state) {
  return state.view !== null && state.view.state.doc.toString() !== state.original.text;
}

/** The example's code as an editor; the editor bundle has loaded. */
function makeEditor(state) {
  const { EditorState, EditorView, basicSetup, indentWithTab, keymap, python, syntaxHighlighting } = cm;
  const host = document.createElement("div");
  host.className = "runner-editor";
  const hint = document.createElement("p");
  hint.className = "runner-hint";
  hint.textContent = TEXT.hint;
  state.view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: state.original.text.replace(/\n$/, ""),
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        python(),
        syntaxHighlighting(colours()),
        EditorView.contentAttributes.of({ "aria-label": `${TEXT.editor}: ${state.path}` }),
        EditorView.updateListener.of((update) => {
          // Material's Copy button copies this element's text: the reader's code once edited.
          if (update.docChanged) {
            if (edited(state)) state.code.textContent = `${update.state.doc.toString()}\n`;
            else state.code.innerHTML = state.original.html;
          }
        }),
      ],
    }),
  });
  state.pre.classList.add("runner-editing");
  state.pre.append(host);
  state.pre.after(hint);
}

/** Turn the example's code into an editor (once). `focus`: the reader clicked into the code,
 * so start Python meanwhile (a Run is likely to follow) and put the cursor there. */
export async function edit(set, focus = false) {
  const state = example(set);
  if (focus && !worker) startWorker();
  if (!state.view) {
    await editorLoaded;
    if (!state.view) makeEditor(state);
  }
  if (focus) requestAnimationFrame(() => state.view.focus());
  return state;
}

/** Back to the published example: its code, and the build's Output and Timeline. */
export function reset(set) {
  const state = example(set);
  if (state.view) {
    const doc = state.view.state.doc;
    state.view.dispatch({ changes: { from: 0, to: doc.length, insert: state.original.text.replace(/\n$/, "") } });
  }
  state.code.innerHTML = state.original.html;
  const [, output, timeline] = panels(set);
  for (const panel of [output, timeline]) {
    if (panel.runnerOriginal) panel.replaceChildren(...panel.runnerOriginal);
    delete panel.runnerOriginal;
  }
  delete set.runnerResult;
  state.status.textContent = "";
  handSteps(set, null);
}

/** The Step through tab (stepper.mjs) shows this run's steps, or the build's again (null). */
function handSteps(set, steps) {
  if (steps) set.runnerSteps = steps;
  else delete set.runnerSteps;
  set.dispatchEvent(new CustomEvent("runner-steps", { detail: steps }));
}

/** Set the build's nodes aside for Reset, as they are (a drawn diagram lives in a closed shadow
 * root, which a copy would lose); the panel then shows `nodes`, or a copy of the build's. */
function replacePanel(panel, ...nodes) {
  panel.runnerOriginal ??= [...panel.childNodes];
  panel.replaceChildren(...(nodes.length ? nodes : panel.runnerOriginal.map((n) => n.cloneNode(true))));
}

function showOutput(set, text) {
  const [, panel] = panels(set);
  replacePanel(panel);
  panel.querySelector("pre > code").textContent = text;
}

let diagrams = 0;

async function show(set, result) {
  const [, , timelinePanel] = panels(set);
  showOutput(set, result.output);
  const host = document.createElement("div");
  host.className = "diagram runner-diagram";
  const source = /^```mermaid\n([\s\S]*)\n```$/m.exec(result.timeline)?.[1];
  if (source) {
    const { svg } = await mermaid.render(`runner-diagram-${++diagrams}`, source);
    const drawn = document.createElement("div");
    drawn.className = "mermaid";
    drawn.innerHTML = svg;
    host.append(drawn);
  } else {
    const note = document.createElement("p");
    note.textContent = TEXT.noTasks;
    host.append(note);
  }
  replacePanel(timelinePanel, host);
}

/** Run the example (as edited) and redraw its Output and Timeline from the run. */
export async function run(set) {
  const started = performance.now();
  const state = example(set);
  state.status.textContent = warm ? TEXT.running : TEXT.loading;
  state.stopButton.hidden = false;
  if (!worker) startWorker(); // first: the editor's code may still be on its way
  await edit(set);
  const source = edited(state) ? state.view.state.doc.toString() + "\n" : null;
  let result;
  try {
    result = await execute(state.path, source, () => (state.status.textContent = TEXT.running));
  } finally {
    state.stopButton.hidden = true;
  }
  const answer = { status: result.type, total: performance.now() - started, startup };
  if (result.type === "result") {
    const { output, timeline, ms, elapsed, steps } = result;
    Object.assign(answer, { output, timeline, ms, elapsed, steps });
    await show(set, result);
    handSteps(set, steps);
    state.status.textContent = TEXT.done(Math.round(result.ms));
  } else {
    // The Output tab says why the run ended; the Timeline keeps what it showed.
    const message =
      result.type === "watchdog" ? TEXT.watchdog
      : result.type === "stopped" ? TEXT.stopped
      : TEXT.failed + result.message;
    showOutput(set, `$ python ${state.path}\n[${result.type}] ${message}\n`);
    state.status.textContent = message;
  }
  set.runnerResult = answer;
  return answer;
}
