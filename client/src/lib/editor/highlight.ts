// Syntax colours and editor chrome close to JupyterLab's light theme, so code looks the way
// a notebook user expects. Tokens get plain class names (styles/code.css), so the live
// editor and the static rendering of cells not yet on screen look exactly alike.
import { syntaxHighlighting } from '@codemirror/language';
import { EditorView } from '@codemirror/view';
import { tags as t, tagHighlighter } from '@lezer/highlight';

export const codeHighlighter = tagHighlighter([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.definitionKeyword], class: 'tok-keyword' },
  { tag: [t.operatorKeyword, t.operator, t.meta], class: 'tok-operator' },
  { tag: [t.string, t.special(t.string), t.regexp], class: 'tok-string' },
  { tag: t.escape, class: 'tok-escape' },
  { tag: [t.number, t.bool, t.null], class: 'tok-number' },
  { tag: t.comment, class: 'tok-comment' },
  { tag: [t.function(t.definition(t.variableName)), t.definition(t.className), t.className], class: 'tok-def' },
  { tag: [t.standard(t.variableName), t.self], class: 'tok-builtin' },
  { tag: t.heading, class: 'tok-heading' },
  { tag: t.emphasis, class: 'tok-em' },
  { tag: t.strong, class: 'tok-strong' },
  { tag: [t.link, t.url], class: 'tok-link' },
  { tag: t.monospace, class: 'tok-string' },
  { tag: t.invalid, class: 'tok-invalid' },
]);

export const highlighting = syntaxHighlighting(codeHighlighter);

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
    lineHeight: 'var(--code-line-height)',
    overflow: 'visible',
  },
  '.cm-content': { padding: '5px 0', caretColor: '#000' },
  '.cm-line': { padding: '0 6px' },
  '.cm-gutters': { backgroundColor: 'transparent', border: 'none', color: '#999' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: '#d7d4f0' },
  '.cm-matchingBracket': { backgroundColor: 'rgba(0,128,0,0.15)', outline: 'none' },
  '.cm-placeholder': { color: '#999', fontStyle: 'italic' },
});
