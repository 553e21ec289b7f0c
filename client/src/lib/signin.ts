// Sign-in by link: the server turns `?token=` on any page into an HttpOnly session cookie.
// We send the token once more with the first /api/me (in case the page came from a cache
// and no cookie was set), then take it out of the address bar so it is not bookmarked,
// copied into chats or kept in history.
import { ApiError } from './api/http';
import { fetchMe, type Me } from './api/me';
import { request } from './api/http';

export function takeTokenFromUrl(): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return token;
}

export type SignIn = { kind: 'signed-in'; me: Me } | { kind: 'signed-out'; message?: string };

export async function signIn(): Promise<SignIn> {
  const token = takeTokenFromUrl();
  try {
    const me = token
      ? await request<Me>('GET', `/api/me?token=${encodeURIComponent(token)}`)
      : await fetchMe();
    return { kind: 'signed-in', me };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      return {
        kind: 'signed-out',
        message: token ? 'That link or token is not valid, or it has been revoked.' : undefined,
      };
    }
    throw err;
  }
}

/** Signs in with a pasted token by revisiting the page with it, as a link would. */
export function signInWithToken(token: string): void {
  const url = new URL(location.href);
  url.searchParams.set('token', token.trim());
  location.assign(url.toString());
}
