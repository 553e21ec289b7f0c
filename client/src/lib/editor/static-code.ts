// Cells far from the viewport are drawn as highlighted text instead of a live editor:
// creating hundreds of CodeMirror views at once costs seconds of layout. The highlighting
// uses the editor's own parser and token classes, so nothing shifts when the editor arrives.
import { pythonLanguage } from '@codemirror/lang-python';
import { highlightCode } from '@lezer/highlight';
import type { EditorLanguage } from './cell-editor';
import { codeHighlighter } from './highlight';

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function staticCodeHtml(code: string, language: EditorLanguage): string {
  if (language !== 'python') return escapeHtml(code);
  let html = '';
  highlightCode(
    code,
    pythonLanguage.parser.parse(code),
    codeHighlighter,
    (text, classes) => {
      html += classes ? `<span class="${classes}">${escapeHtml(text)}</span>` : escapeHtml(text);
    },
    () => {
      html += '\n';
    },
  );
  return html;
}
