// Multi-line strings in nbformat files are stored as lists of lines; in memory they are one
// string. These helpers convert between the two exactly as nbformat's Python code does, so a
// notebook saved by Tandem diffs cleanly against one saved by Jupyter.

import { type CellJSON, isJSONObject, type JSONObject, type JSONValue, type NotebookJSON } from '../../common/nbformat';

// Python's str.splitlines treats all of these as line boundaries, not only "\n".
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's `str.splitlines(True)`: lines keep their terminators; '' gives []. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const match of text.matchAll(LINE_BREAK)) {
    const end = match.index + match[0].length;
    lines.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

// nbformat splits text/* and these two; it never splits JSON or binary (base64) payloads.
const SPLIT_NON_TEXT = new Set(['application/javascript', 'image/svg+xml']);

function splitMimeBundle(bundle: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] = typeof value === 'string' && (mime.startsWith('text/') || SPLIT_NON_TEXT.has(mime)) ? splitLines(value) : value;
  }
  return out;
}

function joinMimeBundle(bundle: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] = Array.isArray(value) && !isJsonMime(mime) && value.every((v) => typeof v === 'string') ? value.join('') : value;
  }
  return out;
}

function joinText(value: JSONValue | undefined): JSONValue | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value;
}

function mapAttachments(cell: CellJSON, fn: (bundle: JSONObject) => JSONObject): void {
  const attachments = cell.attachments;
  if (!isJSONObject(attachments)) return;
  const out: JSONObject = {};
  for (const [name, bundle] of Object.entries(attachments)) {
    out[name] = isJSONObject(bundle) ? fn(bundle) : bundle;
  }
  cell.attachments = out;
}

/** Lists of lines to strings (nbformat's `rejoin_lines`). Returns a new notebook. */
export function rejoinLines(nb: NotebookJSON): NotebookJSON {
  const copy = structuredClone(nb);
  for (const cell of copy.cells) {
    const source = joinText(cell.source);
    if (source !== undefined) cell.source = source;
    mapAttachments(cell, joinMimeBundle);
    if (cell.cell_type === 'code' && Array.isArray(cell.outputs)) {
      for (const output of cell.outputs) {
        if (!isJSONObject(output)) continue;
        if (isJSONObject(output.data)) output.data = joinMimeBundle(output.data);
        if (output.output_type === 'stream') {
          const text = joinText(output.text);
          if (text !== undefined) output.text = text;
        }
      }
    }
  }
  return copy;
}

/** Strings to lists of lines (nbformat's `split_lines`). Returns a new notebook. */
export function splitNotebookLines(nb: NotebookJSON): NotebookJSON {
  const copy = structuredClone(nb);
  for (const cell of copy.cells) {
    if (typeof cell.source === 'string') cell.source = splitLines(cell.source);
    mapAttachments(cell, splitMimeBundle);
    if (cell.cell_type === 'code' && Array.isArray(cell.outputs)) {
      for (const output of cell.outputs) {
        if (!isJSONObject(output)) continue;
        if ((output.output_type === 'execute_result' || output.output_type === 'display_data') && isJSONObject(output.data)) {
          output.data = splitMimeBundle(output.data);
        } else if (output.output_type === 'stream' && typeof output.text === 'string') {
          output.text = splitLines(output.text);
        }
      }
    }
  }
  return copy;
}
