import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { BackupError, errorMessage } from './errors.ts';

/** Bytes copied into one message to the hashing thread. */
const BATCH_SIZE = 1024 * 1024;
/** Batches of one stream posted but not yet hashed; bounds what the thread can hold back. */
const MAX_IN_FLIGHT = 4;
/**
 * Streams up to this size are hashed on the calling thread (handing over costs more than hashing
 * them); the first batches are kept as copies so a longer stream can hand over.
 */
const LOCAL_LIMIT = MAX_IN_FLIGHT * BATCH_SIZE;
/** The thread stops after this long without a stream, so an idle operator does not keep its memory. */
const DEFAULT_IDLE_MS = 30_000;

/**
 * The hashing thread: one sha256 per stream id; hashes each batch, hands its buffer back for
 * reuse, answers `end` with the hex digest and forgets a dropped stream. Plain JavaScript
 * evaluated as a script, so it needs no file that resolves the same way from src/ and dist/.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.buf) {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage({ id: m.id, buf: m.buf }, [m.buf]);
  } else if (m.end) {
    const h = hashes.get(m.id) ?? createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
  } else {
    hashes.delete(m.id);
  }
});
`;

interface StreamPort {
  onBuffer(buf: ArrayBuffer): void;
  onDigest(hex: string): void;
  onFailure(err: Error): void;
}

type Reply = { id: number; buf?: ArrayBuffer; hex?: string };

/**
 * One long-lived hashing thread shared by every off-thread stream of the process: started on
 * first use, so a backup does not pay a thread start each time, and stopped once idle. It holds
 * the process open only while streams use it.
 */
class HashThread {
  private readonly worker: Worker;
  private readonly streams = new Map<number, StreamPort>();
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private dead = false;

  constructor(idleMs: number) {
    this.idleMs = idleMs;
    // The thread holds a few hashes and message objects: small heaps keep its RSS small.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, stackSizeMb: 1 },
    });
    this.worker.on('message', (m: Reply) => {
      const port = this.streams.get(m.id);
      if (!port) return;
      if (m.buf) port.onBuffer(m.buf);
      else if (m.hex !== undefined) {
        this.release(m.id);
        port.onDigest(m.hex);
      }
    });
    // Nothing is wrong with the data then: Unavailable, so a queued backup is retried.
    this.worker.on('error', (err) => {
      this.die(new BackupError('Unavailable', `sha256 thread failed: ${errorMessage(err)}`));
    });
    this.worker.on('exit', (code) => {
      this.die(new BackupError('Unavailable', `sha256 thread exited (code ${code}) mid-stream`));
    });
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  attach(id: number, port: StreamPort): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.streams.size === 0) this.worker.ref();
    this.streams.set(id, port);
  }

  post(id: number, buf: ArrayBuffer, len: number): void {
    this.worker.postMessage({ id, buf, len }, [buf]);
  }

  end(id: number): void {
    this.worker.postMessage({ id, end: true });
  }

  /** Forgets a stream (finished, or dropped on abort); the last one out arms the idle stop. */
  release(id: number, drop = false): void {
    if (!this.streams.delete(id)) return;
    if (drop && !this.dead) this.worker.postMessage({ id, drop: true });
    if (this.streams.size > 0 || this.dead) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => void this.stop(), this.idleMs).unref();
  }

  /** Stops the thread; streams still attached fail. New streams get a new thread at once. */
  async stop(): Promise<void> {
    if (shared === this) shared = undefined;
    await this.worker.terminate();
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.idleTimer);
    if (shared === this) shared = undefined;
    const ports = [...this.streams.values()];
    this.streams.clear();
    for (const p of ports) p.onFailure(err);
  }
}

let shared: HashThread | undefined;
let idleMs = DEFAULT_IDLE_MS;
let nextId = 1;

/** Controls for the shared hashing thread (tests and shutdown). */
export const hashThread = {
  /** The running thread's id, or undefined when none runs. */
  current(): number | undefined {
    return shared?.threadId;
  },
  /** How long an idle thread lives (for threads started from now on). */
  setIdleMs(ms: number): void {
    idleMs = ms;
  },
  /** Stops the thread now; streams using it fail with an Unavailable error. */
  async stop(): Promise<void> {
    await shared?.stop();
  },
};

type Callback = (err?: Error | null) => void;

/**
 * sha256 of a stream computed on the shared hashing thread, so it overlaps the stages on the main
 * thread (storage writes, compression). Chunks are copied into 1 MiB batches that are transferred
 * (not cloned) to the thread and handed back for reuse; at most MAX_IN_FLIGHT batches are
 * outstanding, after which update() calls back only once the thread catches up.
 */
export class OffThreadSha256 {
  private readonly id = nextId++;
  private local: Hash | undefined = createHash('sha256');
  private held: ArrayBuffer[] = [];
  private remote: HashThread | undefined;
  private batch: ArrayBuffer | undefined;
  private fill = 0;
  private inFlight = 0;
  private readonly free: ArrayBuffer[] = [];
  private waiting: Callback | undefined;
  private finishing: ((err: Error | null, hex?: string) => void) | undefined;
  private failure: Error | undefined;
  private done = false;
  private readonly onError: (err: Error) => void;

  constructor(onError: (err: Error) => void) {
    this.onError = onError;
  }

  update(chunk: Buffer, cb: Callback): void {
    if (this.failure) {
      cb(this.failure);
      return;
    }
    this.local?.update(chunk);
    let off = 0;
    while (off < chunk.length) {
      this.batch ??= this.free.pop() ?? new ArrayBuffer(BATCH_SIZE);
      const n = Math.min(BATCH_SIZE - this.fill, chunk.length - off);
      new Uint8Array(this.batch, this.fill, n).set(chunk.subarray(off, off + n));
      this.fill += n;
      off += n;
      if (this.fill === BATCH_SIZE) this.flushBatch(this.batch);
    }
    if (this.inFlight >= MAX_IN_FLIGHT) this.waiting = cb;
    else cb();
  }

  finish(cb: (err: Error | null, hex?: string) => void): void {
    if (this.failure) {
      cb(this.failure);
      return;
    }
    if (this.local) {
      this.done = true;
      this.held = [];
      cb(null, this.local.digest('hex'));
      return;
    }
    if (this.batch && this.fill > 0) this.post(this.batch, this.fill);
    this.batch = undefined;
    this.fill = 0;
    this.finishing = cb;
    this.remote?.end(this.id);
  }

  /** Detaches from the thread (abort, error); idempotent. The thread itself lives on. */
  dispose(): void {
    this.done = true;
    this.waiting = undefined;
    this.finishing = undefined;
    this.held = [];
    this.remote?.release(this.id, true);
  }

  private flushBatch(buf: ArrayBuffer): void {
    this.batch = undefined;
    this.fill = 0;
    if (this.local) {
      this.held.push(buf);
      if (this.held.length * BATCH_SIZE < LOCAL_LIMIT) return;
      this.handOver();
      return;
    }
    this.post(buf, BATCH_SIZE);
  }

  private handOver(): void {
    this.local = undefined;
    shared ??= new HashThread(idleMs);
    const remote = shared;
    this.remote = remote;
    remote.attach(this.id, {
      onBuffer: (buf) => {
        this.inFlight--;
        this.free.push(buf);
        const cb = this.waiting;
        if (cb && this.inFlight < MAX_IN_FLIGHT) {
          this.waiting = undefined;
          cb();
        }
      },
      onDigest: (hex) => {
        const cb = this.finishing;
        this.finishing = undefined;
        this.done = true;
        cb?.(null, hex);
      },
      onFailure: (err) => this.fail(err),
    });
    const held = this.held;
    this.held = [];
    for (const buf of held) this.post(buf, BATCH_SIZE);
  }

  private post(buf: ArrayBuffer, len: number): void {
    this.inFlight++;
    this.remote?.post(this.id, buf, len);
  }

  private fail(err: Error): void {
    if (this.done || this.failure) return;
    this.failure = err;
    const waiting = this.waiting;
    const finishing = this.finishing;
    this.waiting = undefined;
    this.finishing = undefined;
    this.done = true;
    if (waiting) waiting(err);
    else if (finishing) finishing(err);
    else this.onError(err);
  }
}
