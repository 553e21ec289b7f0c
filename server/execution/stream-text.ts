// Stream output as a terminal (and JupyterLab) shows it: a backspace removes the character
// before it, and a carriage return sends the cursor back to the start of the line, so what
// follows overwrites what was there. Only the last line of a stream can still change, so
// appending a chunk rewrites that line and nothing before it.

/** Removes each character followed by a backspace, as JupyterLab does. */
function removeBackspaces(text: string): string {
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(/[^\n\x08]\x08/g, '');
  } while (current !== previous);
  return current.replace(/\x08/g, '');
}

/**
 * One line after carriage returns: each segment overwrites the start of the line. A line
 * that ends in '\r' keeps it, so the next chunk overwrites the line from its start.
 */
function overwriteLine(line: string): string {
  const pending = line.endsWith('\r');
  const segments = line.split(/\r+/);
  let shown = '';
  for (const segment of segments) shown = segment + shown.slice(segment.length);
  return pending ? `${shown}\r` : shown;
}

/** Normalises a whole stream text: "\r\n" is a newline, then backspaces and returns apply. */
export function renderStream(text: string): string {
  return removeBackspaces(text.replace(/\r+\n/g, '\n')).split('\n').map(overwriteLine).join('\n');
}

/** Whether a chunk (or the line it continues) needs rewriting rather than appending. */
export function needsRewrite(lastLine: string, chunk: string): boolean {
  return lastLine.endsWith('\r') || /[\r\x08]/.test(chunk);
}

/** The text that replaces `lastLine` (the stream after its last '\n') once `chunk` is added. */
export function continueLastLine(lastLine: string, chunk: string): string {
  return renderStream(lastLine + chunk);
}
