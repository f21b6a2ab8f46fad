// Who may talk to a dashboard. On loopback (the default) anyone on this
// machine may, but only through a loopback Host header (a web page elsewhere
// cannot reach it by DNS rebinding) and, for the WebSocket, from the page's
// own origin (no cross-site WebSocket hijacking). On any other address a token
// is required: `Authorization: Bearer <token>` or `?token=<token>`.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function hostName(hostHeader: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader.trim());
  return m === null ? '' : m[1];
}

function sameToken(given: string, expected: Buffer): boolean {
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

export class Gate {
  private readonly _token: Buffer | undefined;

  constructor(
    token: string | undefined,
    private readonly _loopbackOnly: boolean,
  ) {
    this._token = token === undefined ? undefined : Buffer.from(token);
  }

  get requiresToken(): boolean {
    return this._token !== undefined;
  }

  /** undefined when allowed, else the HTTP status and reason. */
  check(req: IncomingMessage, url: URL): { status: number; reason: string } | undefined {
    if (this._loopbackOnly && !isLoopback(hostName(req.headers.host ?? ''))) {
      return { status: 421, reason: 'this dashboard only answers requests addressed to a loopback host' };
    }
    if (this._token !== undefined) {
      const header = req.headers.authorization ?? '';
      const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      const given = bearer ?? url.searchParams.get('token') ?? '';
      if (!sameToken(given, this._token)) return { status: 401, reason: 'a token is required: Authorization: Bearer <token> or ?token=<token>' };
    }
    return undefined;
  }

  /** A WebSocket upgrade must also come from the page's own origin (browsers always send Origin). */
  checkOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser (CLI, tests)
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
}
