import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { BackupError, errorMessage } from './errors.ts';

/** Bytes copied into one message to the hashing thread. */
const BATCH_SIZE = 1024 * 1024;
/** Batches posted but not yet hashed; bounds the memory the hashing thread can hold back. */
const MAX_IN_FLIGHT = 4;
/**
 * Streams up to this size are hashed on the calling thread (a thread start costs more than
 * hashing them); the first batches are kept as copies so a longer stream can hand over.
 */
const LOCAL_LIMIT = MAX_IN_FLIGHT * BATCH_SIZE;

/**
 * The hashing thread: hashes each batch, hands its buffer back for reuse, and answers the end
 * message with the hex digest. Plain JavaScript evaluated as a script, so it needs no file that
 * resolves the same way from src/ and dist/.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.buf) {
    hash.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage({ buf: m.buf }, [m.buf]);
  } else {
    parentPort.postMessage({ hex: hash.digest('hex') });
  }
});
`;

const live = new Set<Worker>();

/** Hashing threads currently running (for tests: none may outlive its backup). */
export function liveHashWorkers(): ReadonlySet<Worker> {
  return live;
}

type Callback = (err?: Error | null) => void;

/**
 * sha256 of a stream computed on a worker thread, so it overlaps the stages on the main thread
 * (storage writes, compression). Chunks are copied into 1 MiB batches that are transferred
 * (not cloned) to the thread and handed back for reuse; at most MAX_IN_FLIGHT batches are
 * outstanding, after which update() calls back only once the thread catches up.
 */
export class OffThreadSha256 {
  private local: Hash | undefined = createHash('sha256');
  private held: ArrayBuffer[] = [];
  private worker: Worker | undefined;
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
    this.worker?.postMessage({ end: true });
  }

  /** Stops the thread (abort, error, or after the digest); idempotent. */
  dispose(): void {
    this.done = true;
    this.waiting = undefined;
    this.finishing = undefined;
    this.held = [];
    const w = this.worker;
    if (w) void w.terminate().catch(() => undefined);
  }

  private flushBatch(buf: ArrayBuffer): void {
    this.batch = undefined;
    this.fill = 0;
    if (this.local) {
      this.held.push(buf);
      if (this.held.length * BATCH_SIZE < LOCAL_LIMIT) return;
      this.start();
      return;
    }
    this.post(buf, BATCH_SIZE);
  }

  private start(): void {
    this.local = undefined;
    // The thread holds one hash and a few message objects: small heaps keep its RSS small.
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, stackSizeMb: 1 },
    });
    this.worker = w;
    live.add(w);
    w.on('message', (m: { buf?: ArrayBuffer; hex?: string }) => {
      if (m.buf) {
        this.inFlight--;
        this.free.push(m.buf);
        const cb = this.waiting;
        if (cb && this.inFlight < MAX_IN_FLIGHT) {
          this.waiting = undefined;
          cb();
        }
      } else if (m.hex !== undefined) {
        const cb = this.finishing;
        this.finishing = undefined;
        this.dispose();
        cb?.(null, m.hex);
      }
    });
    w.on('error', (err) => {
      this.fail(new BackupError('IntegrityError', `sha256 thread failed: ${errorMessage(err)}`));
    });
    w.on('exit', (code) => {
      live.delete(w);
      this.fail(
        new BackupError(
          'IntegrityError',
          `sha256 thread exited (code ${code}) before returning the digest`,
        ),
      );
    });
    const held = this.held;
    this.held = [];
    for (const buf of held) this.post(buf, BATCH_SIZE);
  }

  private post(buf: ArrayBuffer, len: number): void {
    this.inFlight++;
    this.worker?.postMessage({ buf, len }, [buf]);
  }

  private fail(err: Error): void {
    if (this.done || this.failure) return;
    this.failure = err;
    const waiting = this.waiting;
    const finishing = this.finishing;
    this.dispose();
    if (waiting) waiting(err);
    else if (finishing) finishing(err);
    else this.onError(err);
  }
}
