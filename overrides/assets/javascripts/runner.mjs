// The in-page runner, imported by runner-on-demand.js on the reader's first Run or click into an
// example. Each example's code becomes an editor (the vendored CodeMirror 6 bundle); Run sends
// the code to one Web Worker per page (runner-worker.mjs: Pyodide, the project's own engine and
// renderers), and the Output and Timeline tabs are redrawn from what it returns. The worker is
// ended (and started afresh on the next Run) by Stop and by the watchdog, when a run goes
// WATCHDOG_MS of real time without a heartbeat (the worker sends one while the event loop turns,
// asyncio_notes/browser.py): a loop that never awaits cannot be interrupted otherwise
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
// The status line: one short sentence; the Output says the rest, in Python's own words.
const TEXT = ZH
  ? {
      run: "运行",
      stop: "停止",
      reset: "还原",
      loading: "正在载入浏览器里的 Python（首次约需几秒）…",
      running: "运行中…",
      done: (ms) => `完成，用时 ${ms} 毫秒（真实时间），结果在下面。`,
      stopped: "已停止。",
      watchdog: `已强行停止：代码连续 ${WATCHDOG_MS / 1000} 秒（真实时间）没有把控制权交还给事件循环，可能卡在一个从不 await 的循环里（比如 while True: pass）。`,
      failed: (what) => `浏览器里的 Python 出了问题（${what}），请再按一次“运行”。`,
      hint: "按 Esc 再按 Tab 可离开编辑器。",
      editor: "可编辑的示例代码",
      at: (line) => (line ? `第 ${line} 行：` : ""),
      kinds: {
        syntax: (r) => `${r.summary}（第 ${r.line} 行），代码没有运行。`,
        exception: (r) => `${TEXT_AT(r)}${r.summary}。`,
        deadlock: (r) => `${TEXT_AT(r)}死锁：没有任何东西能再唤醒事件循环。`,
        spin: () => "已停止：事件循环一直在转，虚拟时间却从不前进。",
        time_limit: () => "已停止：虚拟时间超过了十分钟的上限。",
        output_limit: () => "已停止：输出超过了 200,000 个字符。",
        busy: () => "已停止：代码一直在 await，但要做的事太多，时间线画到停下为止。",
        stuck: (r) => `${TEXT_AT(r)}已停止：这段代码一直没有把控制权交还给事件循环，它从不 await。`,
        exit: (r) => `脚本以状态 ${r.error?.match(/status (\S+?)\.?$/)?.[1] ?? "?"} 退出。`,
      },
      capped: (shown, all) => `输出只显示前 ${shown} 行（共 ${all} 行）。`,
      noRun: "这次运行在报告结果之前就被停止了，没有时间线可画。",
      notCompiled: "代码没能编译，一行也没有运行，没有时间线可画。",
      cut: (c) =>
        `这次运行有 ${c.tasks} 个任务、${c.events} 个运行步骤和输出，全部画出来太大了：下面只画前 ${c.shown_tasks} 个任务` +
        (c.until == null ? "。" : `，到 ${Number(c.until.toPrecision(3))} 秒为止。`),
      tooBig: "这张时间线太大，画不出来；输出标签页里有这次运行的全部输出。",
      results: "运行结果",
      recorded: "← #> 注释是原来那份文件记录的输出，不是这次运行的",
    }
  : {
      run: "Run",
      stop: "Stop",
      reset: "Reset",
      loading: "Loading Python for the browser (a few seconds the first time)…",
      running: "Running…",
      done: (ms) => `Done in ${ms} ms of real time; the results are below.`,
      stopped: "Stopped.",
      watchdog: `Stopped: the code ran ${WATCHDOG_MS / 1000} s of real time without yielding to the event loop, as a loop that never awaits does (such as while True: pass).`,
      failed: (what) => `Python in the browser failed (${what}); press Run again.`,
      hint: "Press Esc, then Tab, to leave the editor.",
      editor: "Editable example code",
      at: (line) => (line ? `Line ${line}: ` : ""),
      kinds: {
        syntax: (r) => `${r.summary} (line ${r.line}), so nothing ran.`,
        exception: (r) => `${TEXT_AT(r)}${r.summary}.`,
        deadlock: (r) => `${TEXT_AT(r)}deadlock: nothing can ever wake the event loop.`,
        spin: () => "Stopped: the event loop keeps running but virtual time never passes.",
        time_limit: () => "Stopped: virtual time passed the ten-minute limit.",
        output_limit: () => "Stopped: the output passed 200,000 characters.",
        busy: () => "Stopped: the code keeps awaiting but has too much to do; the timeline shows what ran.",
        stuck: (r) => `${TEXT_AT(r)}stopped, as this code never lets the event loop run (it never awaits).`,
        exit: (r) => `The script exited with status ${r.error?.match(/status (\S+?)\.?$/)?.[1] ?? "?"}.`,
      },
      capped: (shown, all) => `The Output shows the first ${shown} of ${all} lines.`,
      noRun: "The run was stopped before it could report, so there is no timeline to draw.",
      notCompiled: "The code did not compile, so nothing ran and there is no timeline to draw.",
      cut: (c) =>
        `This run had ${c.tasks} tasks and ${c.events} steps and prints, too many to draw: the chart shows the first ${c.shown_tasks} tasks` +
        (c.until == null ? "." : `, up to ${Number(c.until.toPrecision(3))} s.`),
      tooBig: "This timeline is too big to draw; the Output tab has everything the run printed.",
      results: "Results of the run",
      recorded: "← the #> comments are what the published file printed, not this run",
    };
const TEXT_AT = (r) => TEXT.at(r.line);
// Printed lines the worker sends at most (asyncio_notes/browser.py SHOWN_LINES).
const SHOWN_LINES = 1000;

/** The status sentence for a finished run (`result`, from the worker). */
function statusFor(result) {
  if (!result.kind) {
    const done = TEXT.done(Math.round(result.ms));
    return result.lines > SHOWN_LINES ? `${done} ${TEXT.capped(SHOWN_LINES, result.lines)}` : done;
  }
  return (TEXT.kinds[result.kind] ?? (() => result.kind))(result);
}

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
      if (data.type === "started" || data.type === "alive") current.started();
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
          // Started, or still awaiting (a heartbeat): WATCHDOG_MS from now, unless it beats again.
          if (this.timer === null) onStart?.();
          clearTimeout(this.timer);
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
  const results = document.createElement("div");
  results.className = "runner-results";
  results.setAttribute("role", "region");
  results.setAttribute("aria-label", TEXT.results);
  results.hidden = true;
  bar.after(status, results);
  const path = set.dataset.runnerExample;
  state = { path, pre, code, original, status, results, stopButton, view: null };
  examples.set(set, state);
  return state;
}

function edited(state) {
  return state.view !== null && state.view.state.doc.toString() !== state.original.text;
}

// Lines marked in the editor, one kind per class: the line a failed run names (Python's innermost
// frame in the reader's file), and the lines of the task whose bar was clicked.
const markers = new Map();
function lineMarks(className) {
  const { Decoration, EditorView, StateEffect, StateField } = cm;
  if (markers.has(className)) return markers.get(className);
  const mark = StateEffect.define(); // its value: the lines' start positions
  const line = Decoration.line({ class: className });
  const field = StateField.define({
    create: () => Decoration.none,
    update(marks, transaction) {
      marks = marks.map(transaction.changes);
      for (const effect of transaction.effects) {
        if (effect.is(mark)) marks = Decoration.set(effect.value.map((from) => line.range(from)));
      }
      return marks;
    },
    provide: (f) => EditorView.decorations.from(f),
  });
  markers.set(className, { mark, field });
  return markers.get(className);
}

/** Mark `lines` (1-based) of the editor with `className` (none: clear), and show the first. */
function markLines(state, lines, className = "runner-error-line") {
  if (!state.view) return;
  const doc = state.view.state.doc;
  const from = lines.filter((n) => n >= 1 && n <= doc.lines).map((n) => doc.line(n).from);
  const effects = [lineMarks(className).mark.of(from)];
  if (from.length) effects.push(cm.EditorView.scrollIntoView(from[0], { y: "nearest" }));
  state.view.dispatch({ effects });
}

function markLine(state, line) {
  markLines(state, line ? [line] : []);
}

// In an edited example the `#>` comments are what the published file printed, not this run.
function recordedOutput(original) {
  const { Decoration, EditorView, StateField } = cm;
  const published = original.replace(/\n$/, "");
  const build = (doc) => {
    if (doc.toString() === published) return Decoration.none;
    const marks = [];
    for (let n = 1; n <= doc.lines; n++) {
      const line = doc.line(n);
      if (!/^\s*#>/.test(line.text)) continue;
      const attributes = marks.length ? {} : { "data-note": TEXT.recorded };
      marks.push(Decoration.line({ class: "runner-recorded", attributes }).range(line.from));
    }
    return Decoration.set(marks);
  };
  return StateField.define({
    create: (editor) => build(editor.doc),
    update: (marks, transaction) => (transaction.docChanged ? build(transaction.state.doc) : marks),
    provide: (f) => EditorView.decorations.from(f),
  });
}

/** The lines of a task's code: its coroutine's `async def` block when the example defines it,
 * else the lines that call it (the k-th of k tasks running the same coroutine: its k-th call). */
function taskLines(doc, titles, index) {
  const coroutine = (title) => /^\S+\s+(?:[\w.]+\.)?(\w+)\(/.exec(title ?? "")?.[1];
  const name = coroutine(titles[index]);
  if (!name) return [];
  const text = (n) => doc.line(n).text;
  const indent = (line) => line.length - line.trimStart().length;
  const definition = new RegExp(`^\\s*async\\s+def\\s+${name}\\s*\\(`);
  for (let n = 1; n <= doc.lines; n++) {
    if (!definition.test(text(n))) continue;
    let end = n;
    for (let k = n + 1; k <= doc.lines; k++) {
      if (!text(k).trim()) continue;
      if (indent(text(k)) <= indent(text(n))) break;
      end = k;
    }
    return Array.from({ length: end - n + 1 }, (_, i) => n + i);
  }
  const call = new RegExp(`\\b${name}\\(`);
  const calls = [];
  for (let n = 1; n <= doc.lines; n++) if (call.test(text(n)) && !/^\s*#/.test(text(n))) calls.push(n);
  const same = titles.map(coroutine);
  const nth = same.slice(0, index).filter((c) => c === name).length;
  return calls.length === same.filter((c) => c === name).length ? [calls[nth]] : calls;
}

/** A click or tap on a bar (or a row's title) marks that task's lines in the editor. Rows are
 * told apart by Mermaid's section backgrounds, whose two styles alternate from task to task. */
function linkBars(chart, state) {
  const svg = chart.querySelector("svg");
  if (!svg) return;
  const number = (element, name) => Number(element.getAttribute(name)) || 0;
  const rows = [...svg.querySelectorAll("rect.section")]
    .map((r) => ({ y: number(r, "y"), h: number(r, "height"), style: r.getAttribute("class") }))
    .sort((a, b) => a.y - b.y);
  let section = -1;
  rows.forEach((row, i) => (row.section = section += i === 0 || row.style !== rows[i - 1].style ? 1 : 0));
  const titles = [...svg.querySelectorAll("text.sectionTitle")]
    .sort((a, b) => number(a, "y") - number(b, "y"))
    .map((t) => (t.querySelector("title")?.textContent ?? t.textContent).trim());
  svg.classList.add("runner-linked");
  svg.addEventListener("click", (event) => {
    const hit = event.target.closest("rect.task, text");
    if (!hit || !state.view) return;
    const y = number(hit, "y") + number(hit, "height") / 2;
    const row = rows.find((r) => y >= r.y && y < r.y + r.h);
    if (row) markLines(state, taskLines(state.view.state.doc, titles, row.section), "runner-bar-line");
  });
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
        lineMarks("runner-error-line").field,
        lineMarks("runner-bar-line").field,
        recordedOutput(state.original.text),
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
  // Esc then Tab is a keyboard's way out: a touch screen has neither key.
  if (!matchMedia("(pointer: coarse)").matches) state.pre.after(hint);
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
  for (const panel of [output, timeline].filter(Boolean)) {
    if (panel.runnerOriginal) panel.replaceChildren(...panel.runnerOriginal);
    delete panel.runnerOriginal;
  }
  delete set.runnerResult;
  state.status.textContent = "";
  state.results.replaceChildren();
  state.results.hidden = true;
  markLine(state, null);
  markLines(state, [], "runner-bar-line");
  handSteps(set, null);
}

/** The Step through tab (stepper.mjs) shows this run's steps (JSON text), or says a run left
 * none ({nothing: why}), or shows the build's again (null). */
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
  const pre = panel.querySelector("pre");
  pre.classList.add("runner-shown"); // a fixed height, its own scroll (extra.css)
  pre.querySelector("code").textContent = text;
}

let diagrams = 0;

/** The Timeline of a run: its chart, with a sentence first if it was cut or cannot be drawn.
 * Mermaid's own error box is never shown: a chart it refuses is named in words. */
async function drawTimeline(result, state = null) {
  const host = document.createElement("div");
  host.className = "diagram runner-diagram";
  const note = (text) => {
    const p = document.createElement("p");
    p.className = "runner-timeline-note";
    p.textContent = text;
    host.append(p);
  };
  if (result.kind === "syntax") return note(TEXT.notCompiled), host;
  const source = /^```mermaid\n([\s\S]*)\n```$/m.exec(result.timeline ?? "")?.[1];
  if (!source) return note(TEXT.noRun), host;
  if (result.cut) note(TEXT.cut(result.cut));
  const id = `runner-diagram-${++diagrams}`;
  try {
    const { svg } = await mermaid.render(id, source);
    const drawn = document.createElement("div");
    drawn.className = "mermaid";
    drawn.innerHTML = svg;
    host.append(drawn);
    if (state) linkBars(drawn, state);
  } catch (error) {
    console.warn("Mermaid:", error);
    note(TEXT.tooBig);
  } finally {
    // Mermaid leaves its scratch element (or its error box) in the page when a render fails.
    for (const stray of [document.getElementById(id), document.getElementById(`d${id}`)]) {
      if (stray && !host.contains(stray)) stray.remove();
    }
  }
  return host;
}

/** Under the editor, without a tab switch: what the run printed and its timeline. */
function showBeside(state, text, timeline) {
  const output = document.createElement("pre");
  output.className = "runner-shown";
  const code = document.createElement("code");
  code.textContent = text;
  code.tabIndex = 0; // it scrolls (a fixed height): keyboard users reach it too
  output.append(code);
  state.results.replaceChildren(output, timeline);
  state.results.hidden = false;
}

async function show(set, state, result) {
  const [, , timelinePanel] = panels(set);
  showOutput(set, result.output);
  showBeside(state, result.output, await drawTimeline(result, state));
  if (timelinePanel) replacePanel(timelinePanel, await drawTimeline(result, state));
}

/** Run the example (as edited) and redraw its Output and Timeline from the run. */
export async function run(set) {
  const started = performance.now();
  const state = example(set);
  state.status.textContent = warm ? TEXT.running : TEXT.loading;
  state.stopButton.hidden = false;
  if (!worker) startWorker(); // first: the editor's code may still be on its way
  await edit(set);
  markLine(state, null);
  markLines(state, [], "runner-bar-line");
  const source = edited(state) ? state.view.state.doc.toString() + "\n" : null;
  let result;
  try {
    result = await execute(state.path, source, () => (state.status.textContent = TEXT.running));
  } finally {
    state.stopButton.hidden = true;
  }
  const answer = { status: result.type, total: performance.now() - started, startup };
  if (result.type === "result") {
    const { output, timeline, ms, elapsed, kind, line, cut, lines, steps } = result;
    Object.assign(answer, { output, timeline, ms, elapsed, kind, line, cut, lines, steps });
    await show(set, state, result);
    handSteps(set, steps);
    markLine(state, result.kind ? result.line : null);
    state.status.textContent = answer.message = statusFor(result);
  } else {
    // Nothing came back: the Output says why the run ended, and no Timeline is left from before.
    const message =
      result.type === "watchdog" ? TEXT.watchdog
      : result.type === "stopped" ? TEXT.stopped
      : TEXT.failed(String(result.message).split("\n")[0].slice(0, 80));
    const text = `$ python ${state.path}\n[${result.type}] ${message}\n`;
    showOutput(set, text);
    const [, , timelinePanel] = panels(set);
    showBeside(state, text, await drawTimeline({}));
    if (timelinePanel) replacePanel(timelinePanel, await drawTimeline({}));
    handSteps(set, { nothing: message });
    state.status.textContent = answer.message = message;
  }
  set.runnerResult = answer;
  return answer;
}
