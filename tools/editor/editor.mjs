// What the in-page runner needs from CodeMirror 6, bundled into one ESM file by
// `python -m asyncio_notes.devtools.vendor editor` (esbuild, minified).
export { basicSetup } from "codemirror";
export { Decoration, EditorView, keymap } from "@codemirror/view";
export { EditorState, StateEffect, StateField } from "@codemirror/state";
export { indentWithTab } from "@codemirror/commands";
export { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
export { tags } from "@lezer/highlight";
export { python } from "@codemirror/lang-python";
