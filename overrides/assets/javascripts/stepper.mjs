// The Step through tab: one step per handle the event loop ran, forwards and backwards. Imported by
// runner-on-demand.js when a reader first shows the tab; it then fetches that example's steps
// (assets/steps/chNN/NAME.json, written by asyncio_notes/render/steps.py in the build). After a
// Run, runner.mjs hands over the reader's run (the same Python made it, in the browser). Each step
// holds its whole state, so stepping only reads one entry and redraws a few small lists.

const ZH = (document.documentElement.lang || "").startsWith("zh");
const T = ZH
  ? {
      controls: "逐步执行的控制",
      first: "第一步",
      prevIteration: "上一轮",
      prev: "上一步",
      play: "播放",
      pause: "暂停",
      next: "下一步",
      nextIteration: "下一轮",
      last: "最后一步",
      slider: "步骤",
      step: (n, total) => `第 ${n} 步，共 ${total} 步`,
      iteration: (n, total) => `第 ${n} 轮循环，共 ${total} 轮`,
      seconds: (t) => `${t.toFixed(3)} 秒`,
      source: "代码",
      tasks: "任务",
      task: "任务",
      coro: "协程",
      state: "状态",
      ready: "就绪队列",
      timers: "定时器",
      output: "到此为止的输出",
      empty: "（空）",
      none: "（无）",
      running: "运行中",
      readyState: "就绪",
      waiting: (on) => `等待 ${on}`,
      sleeping: (t) => `休眠到 ${t}`,
      done: (r) => `完成，结果 ${r}`,
      cancelled: "已取消",
      raised: (e) => `抛出 ${e}`,
      wakes: (names) => `唤醒 ${names}`,
      more: (n) => `另有 ${n} 个`,
      runs: (task, coro, where) => `${task} 运行 ${coro}${where ? `，${where}` : ""}`,
      announce: (step, time, what) => `${step}，${time}：${what}`,
      line: (file, line) => `${file} 第 ${line} 行`,
      lines: (a, b) => `${a} 到 ${b}`,
      range: (a, b) => `第 ${a} 到 ${b} 行`,
      then: (what) => `，然后${what}`,
      awaits: (on) => `等待 ${on}`,
      finishes: "，任务结束",
      callback: (name, wakes) => `回调 ${name}${wakes ? `，唤醒 ${wakes}` : ""}`,
      eager: "（急切任务的第一步）",
      error: "运行在这里出错：",
      cut: (n) => `步骤太多，后面 ${n} 个句柄没有记录。`,
      noSteps: "这次运行中，事件循环没有运行程序的任何句柄。",
      yourRun: "显示的是你刚才的运行。",
      failed: "无法载入逐步执行的数据：",
      nothing: "这次运行没有留下可以逐步查看的记录：",
    }
  : {
      controls: "Stepper controls",
      first: "First",
      prevIteration: "Previous iteration",
      prev: "Previous step",
      play: "Play",
      pause: "Pause",
      next: "Next step",
      nextIteration: "Next iteration",
      last: "Last",
      slider: "Step",
      step: (n, total) => `Step ${n} of ${total}`,
      iteration: (n, total) => `iteration ${n} of ${total}`,
      seconds: (t) => `${t.toFixed(3)} s`,
      source: "Source",
      tasks: "Tasks",
      task: "Task",
      coro: "Coroutine",
      state: "State",
      ready: "Ready queue",
      timers: "Timers",
      output: "Output so far",
      empty: "(empty)",
      none: "(none)",
      running: "running",
      readyState: "ready",
      waiting: (on) => `waiting on ${on}`,
      sleeping: (t) => `sleeping until ${t}`,
      done: (r) => `done, result ${r}`,
      cancelled: "cancelled",
      raised: (e) => `raised ${e}`,
      wakes: (names) => `wakes ${names}`,
      more: (n) => `${n} more`,
      runs: (task, coro, where) => `${task} runs ${coro}${where ? `, ${where}` : ""}`,
      announce: (step, time, what) => `${step}, ${time}: ${what}`,
      line: (file, line) => `${file} line ${line}`,
      lines: (a, b) => `${a} to ${b}`,
      range: (a, b) => `lines ${a} to ${b}`,
      then: (what) => `, then ${what}`,
      awaits: (on) => `waits on ${on}`,
      finishes: ", and finishes",
      callback: (name, wakes) => `callback ${name}${wakes ? ` wakes ${wakes}` : ""}`,
      eager: " (an eager task's first step)",
      error: "The run failed here:",
      cut: (n) => `Too many steps: ${n} more handles were not recorded.`,
      noSteps: "In this run the loop ran none of the program's handles.",
      yourRun: "This shows your last run.",
      failed: "The step data could not be loaded: ",
      nothing: "This run left nothing to step through: ",
    };
const PLAY_MS = 1200;
const PLAY_MS_REDUCED = 2500; // prefers-reduced-motion: slower, and nothing scrolls smoothly

const steppers = new WeakMap(); // host -> stepper
let count = 0; // steppers on the page (their ids)

// Its styles too load only now (one small file, cached for every later page).
const STYLES = new URL("../stylesheets/stepper.css", import.meta.url).href;
if (!document.querySelector(`link[href="${STYLES}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: STYLES }));
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key in node && !key.includes("-")) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function stepsUrl(example) {
  const [, chapter, name] = /examples\/(ch\d\d)\/(\w+)\.py$/.exec(example);
  return new URL(`../steps/${chapter}/${name}.json`, import.meta.url).href;
}

function stateText(state, seconds) {
  if (!state) return "";
  switch (state[0]) {
    case "running": return T.running;
    case "ready": return T.readyState;
    case "sleeping": return T.sleeping(seconds(state[1]));
    case "waiting": return T.waiting(state[1]);
    case "done": return T.done(state[1]);
    case "cancelled": return T.cancelled;
    case "raised": return T.raised(state[1]);
    default: return state.join(" ");
  }
}

function handleText(h, seconds) {
  if ("more" in h) return T.more(h.more);
  let text = h.task ?? h.callback;
  if (h.wakes?.length) text += ` (${T.wakes(h.wakes.join(", "))})`;
  if ("when" in h) text = `${seconds(h.when)}: ${text}`;
  return text;
}

class Stepper {
  constructor(host) {
    this.host = host;
    this.set = host.closest(".tabbed-set");
    this.index = 0;
    this.timer = null;
    this.id = `stepper-${++count}`;
    this.loads = 0;
    host.addEventListener("keydown", (event) => this.key(event));
    this.set?.addEventListener("runner-steps", (event) =>
      event.detail?.nothing ? this.nothing(event.detail.nothing) : this.load(event.detail),
    );
  }

  /** A run that reported nothing (stopped, or the worker failed): never the previous run's. */
  nothing(why) {
    this.pause();
    this.loads++; // a load still on its way is stale
    this.data = null;
    this.host.replaceChildren(el("p", { role: "status" }, T.nothing + why));
  }

  async load(text) {
    this.pause();
    const loading = ++this.loads; // a Run's steps may arrive while the build's are on their way
    let data;
    try {
      data = text ? JSON.parse(text) : await (await fetch(stepsUrl(this.host.dataset.example))).json();
    } catch (error) {
      if (loading === this.loads) this.host.replaceChildren(el("p", {}, T.failed + error.message));
      return;
    }
    if (loading !== this.loads) return;
    this.data = data;
    this.ownRun = Boolean(text);
    this.index = 0;
    this.build();
    this.go(0, false);
  }

  seconds = (t) => T.seconds(t);

  build() {
    const { data, id } = this;
    const total = data.steps.length;
    // A step chosen by hand pauses the playing.
    const button = (label, onClick) =>
      el("button", { type: "button", class: "md-button stepper-button", onclick: onClick }, label);
    const by = (move) => () => (this.pause(), move());
    this.buttons = {
      first: button(T.first, by(() => this.go(0))),
      prevIteration: button(T.prevIteration, by(() => this.iteration(-1))),
      prev: button(T.prev, by(() => this.go(this.index - 1))),
      play: button(T.play, () => (this.timer ? this.pause() : this.play())),
      next: button(T.next, by(() => this.go(this.index + 1))),
      nextIteration: button(T.nextIteration, by(() => this.iteration(1))),
      last: button(T.last, by(() => this.go(total - 1))),
    };
    this.slider = el("input", {
      type: "range", min: "0", max: String(Math.max(total - 1, 0)), step: "1", value: "0",
      class: "stepper-slider", "aria-label": T.slider,
    });
    this.slider.addEventListener("input", () => (this.pause(), this.go(Number(this.slider.value))));
    this.now = el("p", { class: "stepper-now" });
    this.what = el("p", { class: "stepper-what" });
    this.live = el("p", { class: "stepper-live", "aria-live": "polite" });
    this.sources = data.files.map(([file, text]) => {
      const lines = text.replace(/\n$/, "").split("\n").map((line, n) =>
        el("span", { class: "stepper-line", "data-line": String(n + 1) }, el("span", { class: "stepper-text" }, line || " ")),
      );
      return { file, lines, pre: el("pre", { class: "stepper-code", tabIndex: 0, role: "region", "aria-label": `${T.source}: ${file}` }, el("code", {}, ...lines)) };
    });
    this.tasksBody = el("tbody");
    this.ready = el("ol", { class: "stepper-list", "aria-labelledby": `${id}-ready` });
    this.timers = el("ol", { class: "stepper-list", "aria-labelledby": `${id}-timers` });
    this.output = el("pre", { class: "stepper-output", tabIndex: 0, role: "region", "aria-labelledby": `${id}-output` });
    this.error = el("div", { class: "stepper-error", hidden: true }, el("p", {}, T.error), el("pre", {}, data.error || ""));
    const label = (key, text) => el("p", { class: "stepper-label", id: `${id}-${key}` }, text);
    this.strip = this.timeline();
    const notes = [
      this.ownRun ? el("p", { class: "stepper-note" }, T.yourRun) : null,
      data.cut ? el("p", { class: "stepper-note" }, T.cut(data.cut)) : null,
      total ? null : el("p", { class: "stepper-note" }, T.noSteps),
    ];
    // (This replaces the step log, the same story as text for readers without JavaScript.)
    this.host.replaceChildren(
      ...[el("div", { class: "stepper-controls", role: "group", "aria-label": T.controls },
        ...Object.values(this.buttons), this.slider),
      ...notes,
      this.now,
      this.what,
      this.live,
      this.error,
      this.strip,
      el("div", { class: "stepper-panels" },
        el("div", { class: "stepper-source" }, ...this.sources.flatMap((s) => [el("p", { class: "stepper-file" }, s.file), s.pre])),
        el("div", { class: "stepper-state" },
          el("table", { class: "stepper-tasks" },
            el("caption", {}, T.tasks),
            el("thead", {}, el("tr", {}, el("th", { scope: "col" }, T.task), el("th", { scope: "col" }, T.coro), el("th", { scope: "col" }, T.state))),
            this.tasksBody),
          // A big run shows its first tasks, as its Timeline does (steps.py).
          data.more_tasks ? el("p", { class: "stepper-note" }, T.more(data.more_tasks)) : null,
          label("ready", T.ready), this.ready,
          label("timers", T.timers), this.timers,
          label("output", T.output), this.output)),
    ].filter(Boolean));
    this.error.hidden = !(total === 0 && data.error); // else shown at the last step (go)
    const disabled = total === 0;
    for (const b of Object.values(this.buttons)) b.disabled = disabled;
    this.slider.disabled = disabled;
  }

  /** A small copy of the Timeline's running bars (the same layout: steps.py), one row per task,
   * with a cursor at the current step, which a press or a drag moves. For the pointer only: the
   * slider and the buttons do the same from the keyboard. */
  timeline() {
    const { data } = this;
    const span = Math.max(data.span || 1, 1);
    const pct = (x) => `${((100 * x) / span).toFixed(3)}%`;
    this.cursors = [];
    const rows = data.tasks.map((task) => {
      const track = el("div", { class: "stepper-track" });
      data.steps.forEach((step, k) => {
        if (step.task !== task.name) return;
        track.append(el("span", { class: "stepper-bar", "data-step": String(k), style: `left:${pct(step.x[0])};width:${pct(step.x[1] - step.x[0])}` }));
      });
      const cursor = el("span", { class: "stepper-cursor" });
      this.cursors.push(cursor);
      track.append(cursor);
      // Press, or drag along, a row: on (or within 4 px of) one of its bars, that step; else
      // the step nearest that moment, in any task.
      const jump = (event) => {
        const box = track.getBoundingClientRect();
        const x = ((event.clientX - box.left) / box.width) * span;
        const near = (4 / box.width) * span;
        const gap = (step) => (x < step.x[0] ? step.x[0] - x : x > step.x[1] ? x - step.x[1] : 0);
        let best = -1;
        let distance = Infinity;
        data.steps.forEach((step, k) => {
          const d = step.task === task.name && gap(step) <= near ? -1 : gap(step);
          if (d < distance) [best, distance] = [k, d];
        });
        if (best >= 0 && best !== this.index) (this.pause(), this.go(best));
      };
      track.addEventListener("pointerdown", (event) => {
        track.setPointerCapture?.(event.pointerId);
        jump(event);
      });
      track.addEventListener("pointermove", (event) => {
        if (event.buttons & 1) jump(event);
      });
      return el("div", { class: "stepper-row" }, el("span", { class: "stepper-row-name" }, task.name), track);
    });
    this.pct = pct;
    return el("div", { class: "stepper-timeline", "aria-hidden": "true" }, ...rows);
  }

  iteration(direction) {
    const steps = this.data.steps;
    const current = steps[this.index]?.i ?? 0;
    let k = this.index;
    if (direction > 0) {
      while (k < steps.length - 1 && steps[k].i === current) k++;
    } else {
      // To the first step of this iteration, or of the one before when already there.
      const target = k > 0 && steps[k - 1].i === current ? current : current - 1;
      while (k > 0 && steps[k - 1].i >= target) k--;
    }
    this.go(k);
  }

  key(event) {
    if (!this.data || event.target === this.slider || event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = { ArrowLeft: this.index - 1, ArrowRight: this.index + 1, Home: 0, End: this.data.steps.length - 1 };
    if (!(event.key in moves) || event.target.closest?.("pre")) return;
    event.preventDefault();
    this.pause();
    this.go(moves[event.key]);
  }

  play() {
    if (this.index >= this.data.steps.length - 1) this.go(0);
    const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.timer = setInterval(() => {
      if (this.index >= this.data.steps.length - 1) this.pause();
      else this.go(this.index + 1);
    }, reduced ? PLAY_MS_REDUCED : PLAY_MS);
    this.buttons.play.textContent = T.pause;
  }

  pause() {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.buttons.play.textContent = T.play;
  }

  where(place, named) {
    if (!place) return "";
    const [file, line] = place;
    if (named || file !== this.sources[0]?.file) return T.line(file, line);
    return ZH ? `第 ${line} 行` : `line ${line}`;
  }

  describe(step) {
    const names = this.data.tasks;
    if (!step.task) return T.callback(step.callback, step.wakes.join(", "));
    // Lines of one file (named unless it is the example's), or of two (both named).
    const { from, at } = step;
    let span = this.where(at);
    if (from && at && from[0] !== at[0]) span = T.lines(this.where(from, true), this.where(at, true));
    else if (from && at && from[1] !== at[1]) {
      const file = from[0] === this.sources[0]?.file ? "" : `${from[0]} `;
      span = file + T.range(from[1], at[1]);
    }
    const coro = names.find((t) => t.name === step.task)?.coro ?? "";
    let text = T.runs(step.task, coro, span);
    if (step.eager) text += T.eager;
    if (step.outcome) text += T.finishes;
    else if (step.awaits) text += T.then(T.awaits(step.awaits));
    return text;
  }

  go(index, announce = true) {
    const { steps } = this.data;
    if (!steps.length) return;
    this.index = Math.max(0, Math.min(steps.length - 1, index));
    const step = steps[this.index];
    const total = steps.length;
    const last = this.index === total - 1;
    this.slider.value = String(this.index);
    // aria-disabled, not disabled: a button pressed to the end keeps the keyboard focus.
    for (const name of ["first", "prevIteration", "prev"]) this.buttons[name].setAttribute("aria-disabled", String(this.index === 0));
    for (const name of ["next", "nextIteration", "last"]) this.buttons[name].setAttribute("aria-disabled", String(last));
    const time = this.seconds(step.t);
    this.now.textContent = `${T.step(this.index + 1, total)} · ${T.iteration(step.i + 1, this.data.iterations.length)} · ${time}`;
    this.what.textContent = this.describe(step);
    this.error.hidden = !(last && this.data.error);
    // The source: the running task's line, and where each suspended task waits.
    for (const line of this.marked ?? []) {
      line.classList.remove("is-running", "is-waiting");
      line.querySelectorAll(".stepper-tag").forEach((tag) => tag.remove());
    }
    this.marked = [];
    for (const { file, lines } of this.sources) {
      const mark = (n, cls, tag) => {
        const line = lines[n - 1];
        if (!line) return;
        line.classList.add(cls);
        line.append(el("span", { class: "stepper-tag" }, tag));
        this.marked.push(line);
      };
      for (const [f, n, name] of step.marks) if (f === file) mark(n, "is-waiting", name);
      if (step.task && step.at?.[0] === file) mark(step.at[1], "is-running", `▶ ${step.task}`);
    }
    // The cursor on the small timeline: the step's bar (a callback: its moment).
    const cursorX = this.pct(step.x[0] + (step.x[1] - step.x[0]) / 2);
    for (const cursor of this.cursors) cursor.style.left = cursorX;
    for (const bar of this.strip.querySelectorAll(".stepper-bar")) bar.classList.toggle("is-current", Number(bar.dataset.step) === this.index);
    // The tasks, the ready queue, the timers and the output.
    this.tasksBody.replaceChildren(
      ...this.data.tasks.flatMap((task, n) => {
        const state = step.states[n];
        if (!state) return [];
        return [el("tr", { class: state[0] === "running" ? "is-running" : "" },
          el("td", {}, task.name), el("td", {}, el("code", {}, task.coro)), el("td", {}, stateText(state, this.seconds)))];
      }),
    );
    const items = (list, handles) =>
      list.replaceChildren(...(handles.length ? handles.map((h) => el("li", {}, handleText(h, this.seconds))) : [el("li", { class: "stepper-empty" }, list === this.ready ? T.empty : T.none)]));
    items(this.ready, step.ready);
    items(this.timers, step.timers);
    this.output.textContent = this.data.output.slice(0, step.out).join("\n");
    if (announce) {
      // The running line into view inside its code block (the page itself stays put).
      const running = this.host.querySelector(".stepper-line.is-running");
      const pre = running?.closest("pre");
      if (pre) {
        const top = running.offsetTop; // the pre is positioned (stepper.css)
        if (top < pre.scrollTop || top + running.offsetHeight > pre.scrollTop + pre.clientHeight)
          pre.scrollTop = Math.max(0, top - pre.clientHeight / 3);
      }
      this.live.textContent = T.announce(T.step(this.index + 1, total), time, this.what.textContent);
    }
    this.host.dispatchEvent(new CustomEvent("stepper-step", { bubbles: true, detail: { index: this.index, time: step.t } }));
  }
}

/** Fill the host (a .stepper[data-example] in a Step through tab): the reader's last run if the
 * runner has one for this example, else the build's. */
export function open(host) {
  if (steppers.has(host)) return steppers.get(host);
  const stepper = new Stepper(host);
  steppers.set(host, stepper);
  const last = host.closest(".tabbed-set")?.runnerSteps ?? null;
  if (last?.nothing) stepper.nothing(last.nothing);
  else stepper.load(last);
  return stepper;
}
