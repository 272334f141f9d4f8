// Load generator for the sandbox-api benchmark, run as its own process so that the servers being
// compared (the sandbox and the baseline) get the bench process's CPU to themselves, equally.
//   node load-client.ts creates <url> <caFile> <token> <total> <prefix>
//   node load-client.ts watch <url> <caFile> <token> <watchPath> <namespace> <rate> <seconds>
// Prints one JSON line with the result.
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { nowMs, summarize, throughput } from './harness.ts';

interface Target {
  base: string;
  ca: string;
  token: string;
  agent: Agent;
}

function call(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, t.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const opts: RequestOptions = {
      method,
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      agent: t.agent,
      ca: t.ca,
      headers: {
        authorization: `Bearer ${t.token}`,
        accept: 'application/json',
        ...(payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {}),
      },
    };
    const req = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Opens a streaming GET and calls onLine for each newline-delimited JSON event. */
function stream(t: Target, path: string, onLine: (line: string) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, t.base);
    const req = request(
      {
        method: 'GET',
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        ca: t.ca,
        agent: false,
        headers: { authorization: `Bearer ${t.token}`, accept: 'application/json' },
      },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onLine(line);
          }
        });
        res.on('error', () => undefined);
        resolve(() => req.destroy());
      },
    );
    req.on('error', (e) => reject(e));
    req.end();
  });
}

async function measureCreates(t: Target, prefix: string, total: number): Promise<number> {
  return throughput(total, 16, async (i) => {
    const r = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${prefix}-${i}` },
      data: { key: 'value' },
    });
    if (r.status !== 201)
      throw new Error(`create ${prefix}-${i}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  });
}

/** 10 watchers; a writer creates objects at `rate`/s for `seconds`; latency = receipt - send. */
async function measureWatch(
  t: Target,
  watchPath: string,
  namespace: string,
  rate: number,
  seconds: number,
) {
  const samples: number[] = [];
  const sent = new Map<string, number>();
  const closers: Array<() => void> = [];
  for (let w = 0; w < 10; w++) {
    closers.push(
      await stream(t, watchPath, (line) => {
        const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
        if (ev.type !== 'ADDED') return;
        const at = sent.get(ev.object.metadata.name);
        if (at !== undefined) samples.push(nowMs() - at);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  const total = rate * seconds;
  const pending: Promise<unknown>[] = [];
  const start = nowMs();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
    for (; i < due; i++) {
      const name = `w-${i}`;
      sent.set(name, nowMs());
      pending.push(
        call(t, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace },
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  const achieved = (total / (nowMs() - start)) * 1000;
  await new Promise((r) => setTimeout(r, 500));
  for (const c of closers) c();
  return { ...summarize(samples), expected: total * 10, achieved };
}

const [mode, base, caFile, token, ...rest] = process.argv.slice(2);
const target: Target = {
  base: base ?? '',
  ca: readFileSync(caFile ?? '', 'utf8'),
  token: token ?? '',
  agent: new Agent({ keepAlive: true, maxSockets: 16 }),
};
if (mode === 'creates') {
  const [total, prefix] = rest;
  const rate = await measureCreates(target, `${prefix}-warm`, 500).then(() =>
    measureCreates(target, prefix ?? 'c', Number(total)),
  );
  console.log(JSON.stringify({ rate }));
} else if (mode === 'watch') {
  const [watchPath, namespace, rate, seconds] = rest;
  console.log(
    JSON.stringify(
      await measureWatch(target, watchPath ?? '', namespace ?? '', Number(rate), Number(seconds)),
    ),
  );
} else {
  console.error('usage: load-client.ts creates|watch ...');
  process.exit(2);
}
process.exit(0);
