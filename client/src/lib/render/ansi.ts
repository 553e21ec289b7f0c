// Terminal colours in stream output and tracebacks. ansi_up escapes the text and emits
// class names, which our stylesheet maps to JupyterLab's palette.
import { AnsiUp } from 'ansi_up';

const converter = new AnsiUp();
converter.use_classes = true;
converter.escape_html = true;

export function ansiToHtml(text: string): string {
  return converter.ansi_to_html(text);
}
