// Which representation of a display bundle to show, in the order JupyterLab prefers.
import { PROGRESS_MIME, TRUNCATED_MIME } from '@common/doc-schema';

export const MIME_ORDER = [
  TRUNCATED_MIME,
  PROGRESS_MIME,
  'application/vnd.jupyter.widget-view+json',
  // Runs in the sandbox frame; JupyterLab also prefers it to the HTML beside it.
  'application/javascript',
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/markdown',
  'text/latex',
  'application/json',
  'text/plain',
] as const;

export function pickMime(data: Record<string, unknown> | undefined): string | null {
  if (!data) return null;
  for (const mime of MIME_ORDER) if (mime in data) return mime;
  const first = Object.keys(data)[0];
  return first ?? null;
}

/** nbformat lets text be a string or a list of lines. */
export function joinText(value: unknown): string {
  if (Array.isArray(value)) return value.join('');
  if (typeof value === 'string') return value;
  if (value == null) return '';
  return JSON.stringify(value, null, 2);
}
