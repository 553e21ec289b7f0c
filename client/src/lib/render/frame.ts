// HTML that carries its own script (plotly, bokeh, or something hostile) is shown in an
// iframe sandboxed *without* allow-same-origin: it runs in an opaque origin that can reach
// neither this page, its cookies, nor the API. A tiny script inside reports the content
// height so the frame can size itself like inline output.

const RESIZER = `<script>(function(){var send=function(){parent.postMessage({tandemFrameHeight:Math.ceil(document.documentElement.scrollHeight)},'*')};new ResizeObserver(send).observe(document.documentElement);addEventListener('load',send);send();})()</script>`;

// No network for the frame's own requests except loading scripts, styles and images
// (charting libraries come from CDNs); nothing can be sent anywhere with fetch.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' https:; style-src 'unsafe-inline' https:; img-src data: blob: https:; font-src data: https:; connect-src 'none'; form-action 'none'";

const BASE_STYLE = `<style>html,body{margin:0;padding:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:13px;color:rgba(0,0,0,.87);overflow:hidden}</style>`;

export function frameDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">${BASE_STYLE}</head><body>${html}${RESIZER}</body></html>`;
}

/** The sandbox flags: scripts yes, same origin never, no popups, no top navigation. */
export const FRAME_SANDBOX = 'allow-scripts';
