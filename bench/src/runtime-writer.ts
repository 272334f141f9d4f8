// The update writer of the latency phase: merge patches over one keep-alive TLS agent, so the
// writer's own cost (no handshake per request) stays small and equal for both sides.
import { Agent, request } from 'node:https';

export interface PatchWriter {
  patch(path: string, body: unknown): Promise<void>;
  close(): void;
}

export function patchWriter(server: string, caPem: string, token: string): PatchWriter {
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: caPem });
  const base = new URL(server);
  return {
    patch: (path, body) =>
      new Promise((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = request(
          {
            method: 'PATCH',
            host: base.hostname,
            port: base.port,
            path,
            agent,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              'content-type': 'application/merge-patch+json',
              'content-length': Buffer.byteLength(payload),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200
                ? resolve()
                : reject(new Error(`PATCH ${path}: HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
