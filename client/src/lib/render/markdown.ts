// Markdown cells and markdown outputs: marked for the text, KaTeX for `$...$` and `$$...$$`
// math (kept away from the markdown parser so `_` and `*` inside formulas survive), and the
// result sanitised before it reaches the page.
import { Marked, type TokenizerAndRendererExtension, type Tokens } from 'marked';
import { renderTex } from './math';
import { sanitizeHtml } from './sanitize';

interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath';
  raw: string;
  text: string;
  display: boolean;
}

const blockMath: TokenizerAndRendererExtension = {
  name: 'blockMath',
  level: 'block',
  start: (src) => src.match(/^ {0,3}(\$\$|\\\[)/m)?.index,
  tokenizer(src) {
    const m = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
    if (!m) return undefined;
    return { type: 'blockMath', raw: m[0], text: (m[1] ?? m[2]).trim(), display: true } as MathToken;
  },
  renderer: (token) => `<div class="math-display">${renderTex((token as MathToken).text, true)}</div>\n`,
};

const inlineMath: TokenizerAndRendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start: (src) => src.match(/\$|\\\(/)?.index,
  tokenizer(src) {
    let m = /^\$\$([\s\S]+?)\$\$/.exec(src);
    if (m) return { type: 'inlineMath', raw: m[0], text: m[1].trim(), display: true } as MathToken;
    m = /^\\\(([\s\S]+?)\\\)/.exec(src);
    if (m) return { type: 'inlineMath', raw: m[0], text: m[1], display: false } as MathToken;
    // `$x$`: no space just inside the dollars and no digit right after, so "$5 and $10" stays text.
    m = /^\$((?:\\.|[^\\$\n])+?)\$(?!\d)/.exec(src);
    if (m && !/^\s|\s$/.test(m[1])) return { type: 'inlineMath', raw: m[0], text: m[1], display: false } as MathToken;
    return undefined;
  },
  renderer: (token) => renderTex((token as MathToken).text, (token as MathToken).display),
};

const marked = new Marked({ gfm: true, breaks: false, async: false });
marked.use({ extensions: [blockMath, inlineMath] });

export type Attachments = Record<string, Record<string, string>> | undefined;

/** Replaces `attachment:name` image sources with data URLs from the cell's attachments. */
function resolveAttachments(html: string, attachments: Attachments): string {
  if (!attachments) return html;
  return html.replace(/(src=")attachment:([^"]+)(")/g, (whole, pre: string, name: string, post: string) => {
    const bundle = attachments[decodeURIComponent(name)];
    if (!bundle) return whole;
    const [mime, data] = Object.entries(bundle)[0] ?? [];
    if (!mime || typeof data !== 'string' || !mime.startsWith('image/')) return whole;
    return `${pre}data:${mime};base64,${data.replace(/\s/g, '')}${post}`;
  });
}

export function renderMarkdown(src: string, attachments?: Attachments): string {
  const html = marked.parse(src) as string;
  return sanitizeHtml(resolveAttachments(html, attachments));
}
