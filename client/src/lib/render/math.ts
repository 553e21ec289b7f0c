// TeX to HTML with KaTeX. Errors render as the source in red rather than throwing, so one bad
// formula does not blank a whole cell.
import katex from 'katex';

export function renderTex(tex: string, display: boolean): string {
  return katex.renderToString(tex, {
    displayMode: display,
    throwOnError: false,
    output: 'htmlAndMathml',
    trust: false,
    strict: 'ignore',
  });
}

/** A text/latex output: `$...$`, `$$...$$`, `\[...\]` or bare TeX, as Jupyter allows. */
export function renderLatexOutput(src: string): string {
  const s = src.trim();
  const m = /^\$\$([\s\S]*)\$\$$/.exec(s) ?? /^\\\[([\s\S]*)\\\]$/.exec(s) ?? /^\$([\s\S]*)\$$/.exec(s) ?? /^\\\(([\s\S]*)\\\)$/.exec(s);
  return renderTex(m ? m[1] : s, true);
}
