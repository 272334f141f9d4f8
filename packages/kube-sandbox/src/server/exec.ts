// pods/exec over WebSockets (the v5/v4.channel.k8s.io remotecommand protocols kubectl and
// client-node speak): non-interactive commands with optional stdin, run by the registered exec
// provider (the node). Each binary message starts with a channel byte: 0 stdin, 1 stdout,
// 2 stderr, 3 status (a metav1.Status), 255 close-stream (v5). TTYs and resize are not supported.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, StatusError } from '../core/errors.ts';
import type { PodExecProvider } from '../core/contracts.ts';
import type { RequestAttributes, UserInfo } from '../core/types.ts';
import type { ApiCore } from './api.ts';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function httpError(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** One server-to-client binary WebSocket frame (unmasked). */
function frame(payload: Buffer, opcode = 2): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) header = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/** Parses client frames (masked) from a buffer; returns complete frames and the rest. */
function parseFrames(buf: Buffer): {
  frames: Array<{ opcode: number; payload: Buffer }>;
  rest: Buffer;
} {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let pos = 0;
  for (;;) {
    if (buf.length - pos < 2) break;
    const opcode = buf[pos] & 0x0f;
    const masked = (buf[pos + 1] & 0x80) !== 0;
    let len = buf[pos + 1] & 0x7f;
    let offset = pos + 2;
    if (len === 126) {
      if (buf.length < offset + 2) break;
      len = buf.readUInt16BE(offset);
      offset += 2;
    } else if (len === 127) {
      if (buf.length < offset + 8) break;
      len = Number(buf.readBigUInt64BE(offset));
      offset += 8;
    }
    const maskLen = masked ? 4 : 0;
    if (buf.length < offset + maskLen + len) break;
    const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
    if (masked) {
      const mask = buf.subarray(offset, offset + 4);
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    }
    frames.push({ opcode, payload });
    pos = offset + maskLen + len;
  }
  return { frames, rest: buf.subarray(pos) };
}

export interface ExecUpgradeDeps {
  core: ApiCore;
  authenticate(token: string): Promise<UserInfo | undefined>;
  provider(): PodExecProvider | undefined;
}

/** Handles an upgrade request; anything but pods/exec is refused. */
export async function handleExecUpgrade(
  deps: ExecUpgradeDeps,
  req: IncomingMessage,
  socket: Duplex,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(
      url.pathname,
    );
    if (!m) throw errors.pageNotFound();
    const [, namespace, name, sub] = m as unknown as [string, string, string, string];
    const token = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    const user = token ? await deps.authenticate(token) : undefined;
    if (!user) throw errors.unauthorized();
    const attrs: RequestAttributes = {
      user,
      verb: 'create',
      resourceRequest: true,
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: sub,
      namespace,
      name,
    };
    const decision = await deps.core.authorizer.authorize(attrs);
    if (!decision.allowed)
      throw (
        deps.core.authExtras.forbidden?.(attrs, decision.reason) ??
        errors.forbidden(`pods "${name}" is forbidden`)
      );
    if (sub !== 'exec') {
      throw new StatusError(
        405,
        'MethodNotAllowed',
        `pods/${sub} is not implemented by kube-sandbox (no attach or port-forward streams)`,
      );
    }
    const podDef = deps.core.registry.get('', 'v1', 'pods')!;
    const pod = deps.core.get(podDef, namespace, name);
    const q = url.searchParams;
    const command = q.getAll('command');
    if (command.length === 0) throw errors.badRequest('you must specify at least 1 command');
    if (q.get('tty') === 'true')
      throw errors.badRequest('kube-sandbox exec does not support a TTY (-t); run without it');
    const containers = (
      (pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []
    ).map((c) => c.name);
    const container = q.get('container') || containers[0] || '';
    if (!containers.includes(container))
      throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
    const provider = deps.provider();
    if (!provider) {
      throw errors.badRequest(
        `container "${container}" in pod "${name}" is not available: this sandbox runs no node (started with --no-node), so nothing can be executed`,
      );
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const protocol = PROTOCOLS.find((p) => offered.includes(p));
    const key = req.headers['sec-websocket-key'];
    if (!protocol || typeof key !== 'string') {
      throw errors.badRequest(
        `unsupported exec protocol: kube-sandbox speaks ${PROTOCOLS.join(', ')} over WebSockets`,
      );
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
    );
    const wantsStdin = q.get('stdin') === 'true';
    const input = wantsStdin ? await readStdin(socket) : undefined;
    const result = await provider({
      namespace,
      pod,
      container,
      command,
      ...(input !== undefined ? { input } : {}),
    }).catch((err: unknown) => ({
      code: 126,
      stdout: '',
      stderr: `${err instanceof Error ? err.message : String(err)}\n`,
    }));
    const send = (channel: number, data: Buffer | string): void => {
      socket.write(frame(Buffer.concat([Buffer.from([channel]), Buffer.from(data)])));
    };
    if (result.stdout.length) send(1, result.stdout);
    if (result.stderr.length) send(2, result.stderr);
    send(
      3,
      JSON.stringify(
        result.code === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: exit status ${result.code}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(result.code) }] },
            },
      ),
    );
    socket.end(frame(Buffer.from([0x03, 0xe8]), 8));
  } catch (err) {
    const status =
      err instanceof StatusError
        ? err
        : errors.internal(err instanceof Error ? err.message : String(err));
    if (!socket.destroyed) httpError(socket, status);
  }
}

/** Collects stdin (channel 0) until the client closes it (v5 close signal) or the connection. */
function readStdin(socket: Duplex): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (data: Buffer): void => {
      const { frames, rest } = parseFrames(Buffer.concat([pending, data]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 8) return finish();
        if (f.payload.length === 0) continue;
        const channel = f.payload[0];
        if (channel === 0) chunks.push(f.payload.subarray(1));
        else if (channel === 255 && f.payload[1] === 0) return finish();
      }
    };
    socket.on('data', onData);
    socket.once('close', finish);
  });
}
