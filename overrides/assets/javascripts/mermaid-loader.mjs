// Mermaid for Material for MkDocs without any third-party host, loaded only when a diagram renders.
//
// Material's bundle renders every `pre.mermaid` itself on DOMContentLoaded, with `window.mermaid`
// if it exists and otherwise with a copy fetched from a CDN. This module is imported by a module
// script (deferred, so it runs before DOMContentLoaded) that the mermaid2 plugin adds only to pages
// with a diagram. It defines `window.mermaid` as a small facade; the first render imports the
// vendored code-split ESM build (scripts/vendor_mermaid.py), which then fetches only the chunks
// that the page's diagram types need.

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

const facade = {
  initialize(config) {
    options = { ...config };
    library?.then(configure);
  },
  async render(...args) {
    return (await load()).render(...args);
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
