// Mermaid for Material for MkDocs without any third-party host, loaded only when a diagram renders.
//
// Material's bundle renders every `pre.mermaid` itself on DOMContentLoaded, with `window.mermaid`
// if it exists and otherwise with a copy fetched from a CDN. This module is imported by a module
// script (deferred, so it runs before DOMContentLoaded) that the mermaid2 plugin adds only to pages
// with a diagram. It defines `window.mermaid` as a small facade; the first render imports the
// vendored code-split ESM build (asyncio_notes/devtools/vendor.py), which then fetches only the
// chunks that the page's diagram types need.

const LIBRARY = new URL("../vendor/mermaid/mermaid.esm.min.mjs", import.meta.url).href;

let options = {};
let library = null;

function configure(mermaid) {
  // mermaid2's `arguments:` (mkdocs.yml) arrive as window.mermaidConfig.default; Material's own
  // options (its themeCSS) win. Material renders the diagrams, so Mermaid must not start on load.
  mermaid.startOnLoad = false;
  mermaid.initialize({ ...window.mermaidConfig?.default, ...options, startOnLoad: false });
}

function load() {
  library ??= import(LIBRARY).then(({ default: mermaid }) => {
    configure(mermaid);
    return mermaid;
  });
  return library;
}

// A diagram wider than the page scrolls sideways (diagrams.css): while it does, keyboard users
// must be able to focus it to scroll it. Material puts each drawn SVG into a new `div.mermaid`.
const watched = new WeakSet();
const resizes = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth) target.setAttribute("tabindex", "0");
    else target.removeAttribute("tabindex");
  }
});

function watchDiagrams() {
  for (const host of document.querySelectorAll("div.mermaid")) {
    if (!watched.has(host)) {
      watched.add(host);
      resizes.observe(host);
    }
  }
}

// Material asks for every diagram on the page as soon as it loads, those in hidden tabs included;
// drawing them all at once blocks the main thread for seconds on a phone. Each render waits until
// its <pre class="mermaid"> is about to scroll into view (a hidden tab's panel is not, until shown).
const claimed = new WeakSet();

function onScreen(text) {
  const source = [...document.querySelectorAll("pre.mermaid")].find(
    (pre) => !claimed.has(pre) && pre.textContent === text,
  );
  if (!source || typeof IntersectionObserver === "undefined") return Promise.resolve();
  claimed.add(source);
  return new Promise((resolve) => {
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          resolve();
        }
      },
      { rootMargin: "400px 0px" },
    );
    observer.observe(source);
  });
}

// Timelines cut long labels with "…" (asyncio_notes/render/timeline_labels.py); gantt.py keeps
// each one's whole text in a `%% full KEY TEXT` comment (KEY: the bar's id, or section-N). The
// drawn SVG gets that text as a tooltip (<title>), and a cut label can be focused, which shows
// the whole text over it. Bars too narrow for their label (Mermaid hides it there) get the label
// as a tooltip.
const FULL_TEXT = /^\s*%% full (\S+) (.*)$/gm;
const FOCUS_CSS =
  ".notes-full { display: none; } .notes-cut:focus + .notes-full { display: inline;" +
  " paint-order: stroke; stroke: var(--md-default-bg-color, #fff); stroke-width: 4px; }";

function addTitle(element, text) {
  const title = document.createElementNS(element.namespaceURI, "title"); // SVG's
  title.textContent = text;
  element.prepend(title);
}

function showWhole(label, text) {
  const whole = label.cloneNode(false);
  whole.removeAttribute("id");
  whole.setAttribute("aria-hidden", "true");
  whole.classList.add("notes-full");
  whole.textContent = text;
  label.classList.add("notes-cut");
  label.setAttribute("tabindex", "0");
  addTitle(label, text);
  label.after(whole);
}

function withFullLabels(svg, source) {
  const full = [...source.matchAll(FULL_TEXT)];
  if (!full.length && !svg.includes("taskTextOutside")) return svg;
  const template = document.createElement("template");
  template.innerHTML = svg;
  const root = template.content.querySelector("svg");
  if (!root) return svg;
  const sections = root.querySelectorAll("text.sectionTitle");
  for (const [, key, text] of full) {
    if (key.startsWith("section-")) {
      const label = sections[Number(key.slice("section-".length))];
      if (label) showWhole(label, text);
      continue;
    }
    const label = root.querySelector(`[id$="-${key}-text"]`);
    const mark = root.querySelector(`[id$="-${key}"]`);
    if (label) showWhole(label, text);
    if (mark) addTitle(mark, text);
  }
  // (Milestones have their labels shown; the spacers after them are hidden on purpose.)
  const outside = ".taskTextOutsideLeft, .taskTextOutsideRight";
  for (const label of root.querySelectorAll(outside)) {
    const kind = label.getAttribute("class");
    if (/milestoneText|activeCritText/.test(kind) || !label.id) continue;
    const bar = root.querySelector(`#${CSS.escape(label.id.replace(/-text$/, ""))}`);
    if (bar) addTitle(bar, label.textContent.trim());
  }
  const style = document.createElementNS(root.namespaceURI, "style");
  style.textContent = FOCUS_CSS;
  root.append(style);
  return template.innerHTML;
}

const facade = {
  initialize(config) {
    options = { ...config };
    library?.then(configure);
  },
  async render(id, text, ...rest) {
    await onScreen(text);
    const result = await (await load()).render(id, text, ...rest);
    setTimeout(watchDiagrams); // after Material has put the SVG into the page
    return { ...result, svg: withFullLabels(result.svg, text) };
  },
  async parse(...args) {
    return (await load()).parse(...args);
  },
  async run(...args) {
    return (await load()).run(...args);
  },
};

// An element with id="mermaid" would also be window.mermaid; Material would then fetch its own copy.
if (typeof window.mermaid === "undefined" || window.mermaid instanceof Element) {
  window.mermaid = facade;
}
export default window.mermaid;
