// The one sanitiser for HTML that we put into the app's own page: rendered markdown and
// simple HTML outputs (tables). Anything that needs script goes to a sandboxed frame
// instead (see frame.ts), so nothing from a notebook ever runs in the app's origin.
import DOMPurify from 'dompurify';

const purify = DOMPurify(window);

purify.addHook('afterSanitizeAttributes', (node) => {
  if (node instanceof HTMLAnchorElement) {
    const href = node.getAttribute('href') ?? '';
    // In-page anchors stay; every other link opens a new tab without access to this one.
    if (!href.startsWith('#')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  }
});

export function sanitizeHtml(html: string): string {
  return purify.sanitize(html, {
    // Forms and style sheets could restyle or imitate the app itself.
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'link', 'meta', 'base'],
    FORBID_ATTR: ['autofocus'],
    ALLOW_DATA_ATTR: false,
  });
}

/** True when the HTML only works with its own script or style: it goes to a sandboxed frame. */
export function needsFrame(html: string): boolean {
  return /<script[\s>]|<iframe[\s>]|<style[\s>]|<link[\s>]|javascript:|\son[a-z]+\s*=/i.test(html) && !isPandasTable(html);
}

// pandas' table repr carries a small scoped <style> for alignment: inline rendering (with our
// own table styles) looks better and costs less than a frame, and the style is dropped safely.
function isPandasTable(html: string): boolean {
  return /class="dataframe"/.test(html) && !/<script[\s>]|\son[a-z]+\s*=|javascript:|<iframe[\s>]/i.test(html);
}
