// Outputs that carry script run in a frame of their own: /sandbox/output.html, framed with
// sandbox="allow-scripts" and never allow-same-origin, so its origin is opaque and its scripts
// cannot reach this page, its cookies or the API (the server also denies it every network
// connection). This module is the app's half of the frame's small protocol; the other half is
// client/public/sandbox/output.html.

export const SANDBOX_URL = '/sandbox/output.html';

/** Heights outside this range are clamped: a frame cannot push the notebook around without bound. */
const MIN_HEIGHT = 16;
const MAX_HEIGHT = 8000;

export type FrameMessage = { type: 'ready' } | { type: 'height'; height: number };

/**
 * What a frame said, or null for anything else. Callers must first check that the message
 * came from their own frame (event.source): any window can post to this one.
 */
export function readFrameMessage(data: unknown): FrameMessage | null {
  if (!data || typeof data !== 'object') return null;
  const message = data as { type?: unknown; height?: unknown };
  if (message.type === 'tandem:ready') return { type: 'ready' };
  if (message.type === 'tandem:height' && typeof message.height === 'number' && Number.isFinite(message.height)) {
    return { type: 'height', height: Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(message.height))) };
  }
  return null;
}

export function renderMessage(html: string): { type: 'tandem:render'; html: string } {
  return { type: 'tandem:render', html };
}

/**
 * An application/javascript output as a document for the frame. As in the classic notebook,
 * the code gets `element`, the node it may draw into.
 */
export function javascriptDocument(code: string): string {
  // The code sits inside a <script> element: a "</script" in it would end the element early.
  const safe = code.replace(/<\/script/gi, '<\\/script');
  return `<div id="output"></div><script>(function (element) {\n${safe}\n})(document.getElementById('output'));</script>`;
}
