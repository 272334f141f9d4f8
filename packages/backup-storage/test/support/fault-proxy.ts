import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultPlan {
  /** Fraction of requests answered 500 InternalError without reaching the server. */
  errorRate?: number;
  /** Fraction of requests with a body whose connection is cut after some of the body went through. */
  dropRate?: number;
  /** Answer every request 403 AccessDenied (as a server that rejects the credentials would). */
  forbidAll?: boolean;
  /** Accept connections but never answer (a hung server). */
  blackhole?: boolean;
}

/** Small deterministic PRNG so fault runs are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultProxy {
  endpoint: string;
  plan: FaultPlan;
  stats: { requests: number; errors: number; drops: number };
  close(): Promise<void>;
}

/** An HTTP proxy in front of the S3 server that injects errors and cut connections. */
export async function startFaultProxy(
  upstreamPort: number,
  plan: FaultPlan,
  seed = 42,
): Promise<FaultProxy> {
  const random = rng(seed);
  const stats = { requests: 0, errors: 0, drops: 0 };
  const state = { plan };
  const answer = (
    req: IncomingMessage,
    res: import('node:http').ServerResponse,
    status: number,
    code: string,
  ) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`,
      );
    });
  };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    const p = state.plan;
    if (p.blackhole) return;
    if (p.forbidAll) return answer(req, res, 403, 'AccessDenied');
    if (random() < (p.errorRate ?? 0)) {
      stats.errors++;
      return answer(req, res, 500, 'InternalError');
    }
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0;
    const drop = hasBody && random() < (p.dropRate ?? 0);
    const up = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    if (drop) {
      stats.drops++;
      const limit = Math.floor(Number(req.headers['content-length']) / 2);
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen <= limit) up.write(chunk);
        else {
          up.destroy();
          req.socket.destroy();
        }
      });
    } else req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get plan() {
      return state.plan;
    },
    set plan(p: FaultPlan) {
      state.plan = p;
    },
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
