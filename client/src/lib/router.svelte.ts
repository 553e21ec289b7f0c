// Path-based routing for the single page: `/` and `/tree/{dir}` show the file browser,
// `/notebooks/{path}` opens a notebook, `/reports/{id}` shows a published report, and
// `/runs/{id}` any ended run of a notebook, code included. The server answers them all with
// index.html.

export type Route =
  | { kind: 'tree'; path: string }
  | { kind: 'notebook'; path: string }
  | { kind: 'report'; id: string }
  | { kind: 'run'; id: string }
  | { kind: 'unknown'; path: string };

function decodeRest(rest: string): string {
  return rest
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    })
    .join('/');
}

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '' || pathname === '/tree' || pathname === '/tree/') {
    return { kind: 'tree', path: '' };
  }
  if (pathname.startsWith('/tree/')) return { kind: 'tree', path: decodeRest(pathname.slice(6)) };
  if (pathname.startsWith('/notebooks/')) return { kind: 'notebook', path: decodeRest(pathname.slice(11)) };
  if (pathname.startsWith('/reports/')) return { kind: 'report', id: decodeRest(pathname.slice(9)) };
  if (pathname.startsWith('/runs/')) return { kind: 'run', id: decodeRest(pathname.slice(6)) };
  return { kind: 'unknown', path: pathname };
}

const encodeRest = (path: string): string =>
  path
    .split('/')
    .filter((p) => p !== '')
    .map(encodeURIComponent)
    .join('/');

export const treeUrl = (dir: string): string => (dir ? `/tree/${encodeRest(dir)}` : '/tree');
export const notebookUrl = (path: string): string => `/notebooks/${encodeRest(path)}`;
export const reportUrl = (id: string): string => `/reports/${encodeURIComponent(id)}`;
export const runUrl = (id: string): string => `/runs/${encodeURIComponent(id)}`;

class Router {
  route = $state<Route>(parseRoute(location.pathname));

  constructor() {
    window.addEventListener('popstate', () => {
      this.route = parseRoute(location.pathname);
    });
  }

  navigate(url: string, replace = false): void {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.route = parseRoute(location.pathname);
  }

  /** Changes the address without re-rendering, e.g. after a rename. */
  rewrite(url: string): void {
    history.replaceState(null, '', url);
  }
}

export const router = new Router();
