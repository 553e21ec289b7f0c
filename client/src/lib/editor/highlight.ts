// Syntax colours and editor chrome close to JupyterLab's light theme, so code looks the way
// a notebook user expects.
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorView } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

const jupyterLight = HighlightStyle.define([
  { tag: t.keyword, color: '#008000', fontWeight: 'bold' },
  { tag: [t.controlKeyword, t.moduleKeyword, t.definitionKeyword], color: '#008000', fontWeight: 'bold' },
  { tag: [t.operatorKeyword, t.operator], color: '#aa22ff' },
  { tag: [t.string, t.special(t.string), t.regexp], color: '#ba2121' },
  { tag: t.escape, color: '#aa5d1f', fontWeight: 'bold' },
  { tag: [t.number, t.bool, t.null], color: '#008000' },
  { tag: t.comment, color: '#3d7a7a', fontStyle: 'italic' },
  { tag: [t.function(t.definition(t.variableName)), t.definition(t.className)], color: '#0000ff' },
  { tag: t.className, color: '#0000ff' },
  { tag: t.standard(t.variableName), color: '#008000' },
  { tag: t.self, color: '#008000' },
  { tag: t.meta, color: '#aa22ff' },
  { tag: t.propertyName, color: '#212121' },
  { tag: t.heading, color: '#0000ff', fontWeight: 'bold' },
  { tag: t.emphasis, fontStyle: 'italic' },
  { tag: t.strong, fontWeight: 'bold' },
  { tag: t.link, color: '#0000ff', textDecoration: 'underline' },
  { tag: t.url, color: '#0000ff' },
  { tag: t.monospace, color: '#ba2121' },
  { tag: t.invalid, color: '#f00' },
]);

export const highlighting = syntaxHighlighting(jupyterLight);

export const editorTheme = EditorView.theme({
  '&': {
    fontSize: 'var(--code-font-size)',
    backgroundColor: 'transparent',
  },
  '&.cm-focused': { outline: 'none' },
  // Lines wrap, so the editor never scrolls sideways; leaving overflow visible lets a
  // collaborator's name label on the first line show above the cell instead of being cut.
  '.cm-scroller': {
    fontFamily: 'var(--code-font)',
    lineHeight: '1.3077',
    overflow: 'visible',
  },
  '.cm-content': { padding: '5px 0', caretColor: '#000' },
  '.cm-line': { padding: '0 6px' },
  '.cm-gutters': { backgroundColor: 'transparent', border: 'none', color: '#999' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: '#d7d4f0' },
  '.cm-matchingBracket': { backgroundColor: 'rgba(0,128,0,0.15)', outline: 'none' },
  '.cm-placeholder': { color: '#999', fontStyle: 'italic' },
});
