// Authentication for every HTTP route and WebSocket upgrade. A request proves who it is with
// `Authorization: token T`, `?token=T`, or the signed session cookie set when a browser
// signs in with a token in the URL. Cookie-authenticated writes must come from our own
// origin, and so must WebSocket upgrades from browsers.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Role, roleAtLeast } from '../../common/doc-schema';
import { identityFromSeed, ownerName, sessionIdentity } from '../auth/identity';
import { type Principal, roleOn } from '../auth/principal';
import { decodeSession, encodeSession, newSession, ownerTokenTag, SESSION_COOKIE, type SessionPayload } from '../auth/session-cookie';
import type { ShareStore } from '../auth/shares';
import { secretsEqual } from '../auth/tokens';
import { type TandemError, unauthenticated } from '../errors';
import { forbidden, unauthorized } from './errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers requests that carry no principal (readiness, the API version). */
    anonymous?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    session: SessionPayload | undefined;
    /** Why a token or cookie the request carried was refused, when we know more than "invalid". */
    authRefusal: TandemError | undefined;
  }
}

export interface AuthOptions {
  serverToken: string;
  /** Whether a token was this server's once, before it was rotated. */
  isFormerToken?: (token: string) => boolean;
  shares: ShareStore;
  /** Extra origins allowed to open sockets and send cookie-authenticated writes. */
  allowOrigins: string[];
}

// What happened and what to do: the client shows this as it is (reason `token_rotated`).
const TOKEN_ROTATED =
  "The server's token was changed (rotated), so links and sign-ins from before no longer work. Open the new link the server printed when it started.";

function tokenRotated(): TandemError {
  return unauthenticated(TOKEN_ROTATED, 'token_rotated');
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const COOKIE_MAX_AGE_S = 30 * 24 * 3600;

function tokenFrom(request: FastifyRequest): { token: string; via: 'header' | 'query' } | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    if (match) return { token: match[1], via: 'header' };
  }
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query.token === 'string' && query.token) return { token: query.token, via: 'query' };
  return undefined;
}

export function isAllowedOrigin(request: FastifyRequest, origin: string, allowOrigins: string[]): boolean {
  if (allowOrigins.includes('*') || allowOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export class Authenticator {
  private readonly ownerTag: string;

  constructor(private readonly options: AuthOptions) {
    this.ownerTag = ownerTokenTag(options.serverToken);
  }

  /** Who the request is from, or undefined. Never throws. */
  resolve(request: FastifyRequest): { principal?: Principal; session?: SessionPayload; badToken: boolean; refusal?: TandemError } {
    const given = tokenFrom(request);
    if (given) {
      if (secretsEqual(given.token, this.options.serverToken)) {
        return {
          principal: { kind: 'owner', identity: identityFromSeed(`owner:${this.ownerTag}`, ownerName()), via: given.via },
          badToken: false,
        };
      }
      const share = this.options.shares.findByToken(given.token);
      if (share) {
        return { principal: { kind: 'share', share, identity: identityFromSeed(`share:${share.id}`), via: given.via }, badToken: false };
      }
    }
    const fromCookie = this.fromCookie(request);
    const formerToken = given !== undefined && !fromCookie.principal && this.options.isFormerToken?.(given.token) === true;
    return {
      ...fromCookie,
      badToken: given !== undefined && !fromCookie.principal,
      refusal: formerToken ? tokenRotated() : fromCookie.refusal,
    };
  }

  private fromCookie(request: FastifyRequest): { principal?: Principal; session?: SessionPayload; refusal?: TandemError } {
    const raw = request.cookies?.[SESSION_COOKIE];
    if (!raw) return {};
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return {};
    const session = decodeSession(unsigned.value);
    if (!session) return {};
    const identity = sessionIdentity(session);
    if (session.kind === 'owner') {
      // The cookie is ours (it is signed), so its owner signed in with a token we no longer use.
      if (session.tokenTag !== this.ownerTag) return { refusal: tokenRotated() };
      return { principal: { kind: 'owner', identity, via: 'cookie' }, session };
    }
    const share = session.shareId ? this.options.shares.get(session.shareId) : undefined;
    if (!share) return {};
    return { principal: { kind: 'share', share, identity, via: 'cookie' }, session };
  }

  /** Starts a browser session for a principal that signed in with a token in the URL. */
  startSession(reply: FastifyReply, principal: Principal): SessionPayload {
    const session = principal.kind === 'owner' ? newSession('owner', this.ownerTag) : newSession('share', principal.share.id);
    this.writeSession(reply, session);
    return session;
  }

  writeSession(reply: FastifyReply, session: SessionPayload): void {
    void reply.setCookie(SESSION_COOKIE, encodeSession(session), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: COOKIE_MAX_AGE_S,
    });
  }

  clearSession(reply: FastifyReply): void {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  isAllowedOrigin(request: FastifyRequest, origin: string): boolean {
    return isAllowedOrigin(request, origin, this.options.allowOrigins);
  }
}

/** Resolves the principal of every request; routes then ask for what they need. */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('session', undefined);
  app.decorateRequest('authRefusal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const { principal, session, badToken, refusal } = auth.resolve(request);
    request.principal = principal;
    request.session = session;
    request.authRefusal = refusal;
    const api = isApiUrl(request.url);
    if (badToken && api) throw refusal ?? unauthorized('The token is not valid');
    if (!principal) {
      // Refused here, before the body is read: onRequest runs before Fastify parses it, so a
      // stranger cannot make the server hold a large upload only to be told 401.
      // WebSocket upgrades carry no body and are refused by their route, whose plugin must
      // see them to close the raw socket after the answer.
      if (api && request.routeOptions.config.anonymous !== true && request.headers.upgrade === undefined) {
        // The unread body stays on the connection; closing it is cheaper than draining it.
        if (hasBody(request)) void reply.header('connection', 'close');
        throw refusal ?? unauthorized();
      }
      return;
    }
    // A page visited with ?token= signs the browser in; the client then drops the token
    // from the address bar.
    const isPage = request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/assets/');
    if (principal.via === 'query' && isPage) {
      request.session = auth.startSession(reply, principal);
      request.principal = { ...principal, identity: sessionIdentity(request.session) };
    }
    if (principal.via === 'cookie' && UNSAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin ?? refererOrigin(request.headers.referer);
      if (!origin || !auth.isAllowedOrigin(request, origin)) {
        throw forbidden('Cross-origin requests with a session cookie are refused');
      }
    }
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function isApiUrl(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw request.authRefusal ?? unauthorized();
  return request.principal;
}

export function requireOwner(request: FastifyRequest): Principal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'owner') throw forbidden('Only the server owner can do this');
  return principal;
}

/** The caller's role on a notebook, refusing with 403 below `needed`. */
export function requireRole(request: FastifyRequest, fileId: string | undefined, needed: Role): Role {
  const principal = requirePrincipal(request);
  const role = roleOn(principal, fileId);
  if (!roleAtLeast(role, needed)) {
    throw forbidden(role ? `This needs the ${needed} role; this link has ${role}` : 'This link does not reach that notebook');
  }
  return role!;
}
