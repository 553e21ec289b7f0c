// Whether outputs may load from the internet, a choice this browser remembers. Off by default:
// an output that pulls a script, a style or an image from another site tells that site who
// opened the notebook and when. Outputs that would load something show where from, and one
// click allows it (plotly and bokeh load their libraries from CDNs).

const KEY = 'tandem.outputsOutbound';

function remembered(): boolean {
  try {
    return localStorage.getItem(KEY) === 'allow';
  } catch {
    return false;
  }
}

class OutboundSetting {
  allowed = $state(remembered());

  allow(): void {
    this.allowed = true;
    try {
      localStorage.setItem(KEY, 'allow');
    } catch {
      // Storage switched off: allowed for this page only.
    }
  }
}

export const outbound = new OutboundSetting();

// Where an HTML document would fetch from: src, href, srcset and poster attributes, and CSS
// url() and @import, when they name an http(s) address (protocol-relative included).
const REFERENCE = /(?:\b(?:src|href|srcset|poster|data)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["'])((?:https?:)?\/\/[^\s"'()<>]+)/gi;

/** The hosts an output would load from, first seen first. */
export function externalHosts(html: string): string[] {
  const hosts = new Set<string>();
  for (const match of html.matchAll(REFERENCE)) {
    try {
      hosts.add(new URL(match[1], 'https://placeholder.invalid').host);
    } catch {
      // Not a URL a browser would load either.
    }
  }
  return [...hosts];
}
