// Run buttons on every example, at almost no cost: this script (always loaded, deferred) only adds
// a toolbar under each example's code. Nothing else is fetched until the reader presses Run or
// clicks into the code; then runner.mjs (the editor, and Pyodide in a Web Worker) is imported.
// An example is a tab set whose first tab holds a code block titled examples/chNN/NAME.py, then
// the Output tab and (usually) the Timeline tab; the results also show under the code. data-needs (from runner_bundle.py) names what an example uses
// that the browser cannot run. tests/test_runner_browser.py checks the network stays quiet.
(function () {
  "use strict";

  var script = document.currentScript;
  var RUNNER = new URL("runner.mjs", script.src).href;
  var NEEDS = JSON.parse(script.dataset.needs || "{}");
  var ZH = (document.documentElement.lang || "").indexOf("zh") === 0;
  var TITLE = /^examples\/ch\d\d\/\w+\.py$/;
  var loading = null;

  function runner() {
    loading = loading || import(RUNNER);
    return loading;
  }

  function noteFor(needs) {
    var names = [].concat(needs.threads || [], needs.processes || []).join(", ");
    var what = ZH
      ? [needs.threads ? "线程" : "", needs.processes ? "进程" : ""].filter(Boolean).join("和")
      : [needs.threads ? "threads" : "", needs.processes ? "processes" : ""].filter(Boolean).join(" and ");
    return ZH
      ? "本例用到" + what + "（" + names + "），浏览器里的 Python 做不到，请在自己的电脑上运行。"
      : "This example uses " + what + " (" + names + "), which Python in the browser cannot start: run it on your own machine.";
  }

  function setUp(set, title) {
    var path = title.textContent.trim();
    var block = title.parentElement;
    var bar = document.createElement("div");
    bar.className = "runner-bar";
    var run = document.createElement("button");
    run.type = "button";
    run.className = "md-button md-button--primary runner-run";
    run.textContent = ZH ? "运行" : "Run";
    bar.appendChild(run);
    if (NEEDS[path]) {
      var note = document.createElement("span");
      note.className = "runner-note";
      note.textContent = noteFor(NEEDS[path]);
      bar.appendChild(note);
    }
    block.insertAdjacentElement("afterend", bar);
    set.dataset.runnerExample = path;
    run.addEventListener("click", function () {
      runner().then(function (m) { m.run(set); });
    });
    // Into the code: a click or a tap on it (not on its copy button) makes it an editor.
    block.querySelector("pre").addEventListener("pointerdown", function (event) {
      if (!event.target.closest("button")) runner().then(function (m) { m.edit(set, true); });
    });
  }

  document.querySelectorAll(".md-typeset .tabbed-set").forEach(function (set) {
    var block = set.querySelector(".tabbed-block");
    var title = block && block.querySelector(":scope > .highlight > .filename");
    if (title && TITLE.test(title.textContent.trim()) && set.querySelectorAll(":scope > .tabbed-content > .tabbed-block").length >= 2) {
      setUp(set, title);
    }
  });
})();

// The Step through tab: stepper.mjs, and that example's steps, load when a reader first shows the
// tab (a click on its label, or its panel coming into view: linked tabs switch every example on
// the page); until then the page fetches nothing for it.
(function () {
  "use strict";

  var hosts = document.querySelectorAll(".md-typeset .stepper[data-example]");
  if (!hosts.length) return;
  var STEPPER = new URL("stepper.mjs", document.currentScript.src).href;
  var opened = [];

  function open(host) {
    if (opened.indexOf(host) >= 0) return;
    opened.push(host);
    import(STEPPER).then(function (m) { m.open(host); });
  }

  var shown = "IntersectionObserver" in window && new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) open(entry.target.querySelector(".stepper[data-example]"));
    });
  }, { rootMargin: "200px 0px" });
  hosts.forEach(function (host) {
    var panel = host.closest(".tabbed-block");
    if (shown) shown.observe(panel || host);
    var set = host.closest(".tabbed-set");
    var panels = set ? set.querySelectorAll(":scope > .tabbed-content > .tabbed-block") : [];
    var index = Array.prototype.indexOf.call(panels, panel);
    var label = set && set.querySelectorAll(":scope > .tabbed-labels > label")[index];
    if (label) label.addEventListener("click", function () { open(host); });
  });
})();
