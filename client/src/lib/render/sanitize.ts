// The one sanitiser for HTML that we put into the app's own page: rendered markdown and HTML
// outputs. Scripts, event handlers, javascript: links, forms and style sheets are removed, so
// nothing from a notebook runs in the app's origin (the server's CSP forbids inline script
// as a second wall), as JupyterLab does for untrusted notebooks.
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

/** True when the output relies on script: it is shown in the sandbox frame instead (sandbox.ts). */
export function hasScript(html: string): boolean {
  return /<script[\s>]/i.test(html);
}
