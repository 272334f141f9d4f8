// Container logs in the CRI format the kubelet writes (`<RFC3339Nano> <stream> F <line>`), one file
// per container start, and the reader behind pods/log (follow, previous, tailLines, sinceSeconds,
// sinceTime, timestamps, limitBytes).
import { createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

/**
 * What the API server calls for GET pods/{name}/log. Resolves to a stream of the log text, or
 * rejects with a StatusError (400 for an unknown or not-yet-started container, 404 for no pod).
 * With follow the stream ends when the container stops (or when the caller destroys it).
 */
export type PodLogProvider = (
  namespace: string,
  name: string,
  opts: PodLogOptions,
) => Promise<Readable>;

export function criTimestamp(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Writes a container's stdout/stderr as CRI log lines. */
export class LogWriter {
  readonly #out: WriteStream;
  readonly #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  #closed = false;
  constructor(path: string) {
    this.#out = createWriteStream(path, { flags: 'a' });
    // a full disk or a removed pod dir must not take the node down
    this.#out.on('error', () => undefined);
  }
  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    if (this.#closed) return;
    const text = this.#partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    const ts = criTimestamp();
    for (const line of lines) this.#out.write(`${ts} ${stream} F ${line}\n`);
  }
  /** Flushes a last partial line (marked P, as CRI does) and closes the file. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const ts = criTimestamp();
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.#partial[s]) this.#out.write(`${ts} ${s} P ${this.#partial[s]}\n`);
      this.#partial[s] = '';
    }
    return new Promise((resolve) => this.#out.end(resolve));
  }
}

interface LogLine {
  time: string;
  text: string;
  partial: boolean;
}

export function parseCriLine(line: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line);
  if (!m) return undefined;
  return { time: m[1] ?? '', text: m[4] ?? '', partial: m[3] === 'P' };
}

function formatLine(l: LogLine, timestamps: boolean): string {
  return (timestamps ? `${l.time} ` : '') + l.text + (l.partial ? '' : '\n');
}

/** Selects and formats lines of a log file's content. Pure. */
export function selectLogLines(content: string, opts: PodLogOptions, now = Date.now()): string {
  let lines = content
    .split('\n')
    .map(parseCriLine)
    .filter((l): l is LogLine => l !== undefined);
  const since =
    opts.sinceSeconds !== undefined
      ? now - opts.sinceSeconds * 1000
      : opts.sinceTime
        ? Date.parse(opts.sinceTime)
        : undefined;
  if (since !== undefined) lines = lines.filter((l) => Date.parse(l.time) >= since);
  if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
  let out = lines.map((l) => formatLine(l, opts.timestamps === true)).join('');
  if (opts.limitBytes !== undefined) out = Buffer.from(out).subarray(0, opts.limitBytes).toString();
  return out;
}

/** A readable over one log file; with follow it keeps reading until `stillWriting()` is false. */
export function readLogFile(
  path: string,
  opts: PodLogOptions,
  stillWriting: () => boolean,
): Readable {
  const content = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const initial = selectLogLines(content, opts);
  if (!opts.follow) return Readable.from([initial]);
  let offset = Buffer.byteLength(content);
  let carry = '';
  let sent = Buffer.byteLength(initial);
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {
      // pushed by the poller
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  stream.push(initial);
  const poll = async () => {
    try {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size > offset) {
        const fh = await open(path, 'r');
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        await fh.close();
        offset = size;
        const text = carry + buf.toString();
        const parts = text.split('\n');
        carry = parts.pop() ?? '';
        for (const p of parts) {
          const l = parseCriLine(p);
          if (!l) continue;
          let chunk = formatLine(l, opts.timestamps === true);
          if (opts.limitBytes !== undefined) {
            chunk = Buffer.from(chunk)
              .subarray(0, Math.max(0, opts.limitBytes - sent))
              .toString();
            if (!chunk) {
              stream.push(null);
              return;
            }
          }
          sent += Buffer.byteLength(chunk);
          stream.push(chunk);
        }
      } else if (!stillWriting()) {
        stream.push(null);
        return;
      }
    } catch (err) {
      stream.destroy(err as Error);
      return;
    }
    if (!stream.destroyed) timer = setTimeout(() => void poll(), 150);
  };
  timer = setTimeout(() => void poll(), 150);
  return stream;
}
