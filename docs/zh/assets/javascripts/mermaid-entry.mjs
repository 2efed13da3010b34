// The mermaid2 plugin (mkdocs.yml) adds `import ... from` this file to each page with a diagram;
// it only accepts a file inside docs_dir. The loader itself lives in the theme (overrides/), shared
// by both languages: keep this file identical in docs/zh and docs/en.
export { default } from "./mermaid-loader.mjs";
