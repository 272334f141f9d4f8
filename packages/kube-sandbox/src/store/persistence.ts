// Optional persistence of the store to the data directory: a snapshot written at startup plus an
// append-only log of changes, written in batches (never a sync write per request) and fsynced on stop.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../core/types.ts';
import type { StoreEvent } from './store.ts';

interface LogLine {
  rv: number;
  gr: string;
  /** The object after the change; absent when deleted. */
  obj?: KubeObject;
  ns?: string;
  name?: string;
}

export interface LoadedState {
  rv: number;
  objects: Array<{ gr: string; obj: KubeObject }>;
}

const SNAPSHOT = 'store-snapshot.jsonl';
const LOG = 'store-log.jsonl';

/** Reads the snapshot and replays the log. Tolerates a torn last line (crash mid-write). */
export function loadState(dir: string): LoadedState {
  let rv = 1;
  const objects = new Map<string, { gr: string; obj: KubeObject }>();
  const apply = (line: LogLine): void => {
    rv = Math.max(rv, line.rv);
    const key = line.obj
      ? `${line.gr}|${line.obj.metadata?.namespace ?? ''}|${line.obj.metadata?.name}`
      : `${line.gr}|${line.ns ?? ''}|${line.name}`;
    if (line.obj) objects.set(key, { gr: line.gr, obj: line.obj });
    else objects.delete(key);
  };
  for (const file of [SNAPSHOT, LOG]) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (!text) continue;
      try {
        apply(JSON.parse(text) as LogLine);
      } catch {
        // torn trailing write
      }
    }
  }
  return { rv, objects: [...objects.values()] };
}

export class StorePersister {
  private readonly logPath: string;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly dir: string;
  private readonly flushDelayMs: number;
  private logged = 0;
  private compacting = false;
  private compaction:
    | { every: number; source: () => { rv: number; entries: Iterable<[string, KubeObject]> } }
    | undefined;

  constructor(dir: string, flushDelayMs = 20) {
    this.dir = dir;
    this.flushDelayMs = flushDelayMs;
    this.logPath = join(dir, LOG);
  }

  /** Rewrites the snapshot from the given state and starts a fresh log (atomic rename). */
  writeSnapshot(rv: number, entries: Iterable<[string, KubeObject]>): void {
    const lines: string[] = [JSON.stringify({ rv, gr: '' })];
    for (const [gr, obj] of entries) lines.push(JSON.stringify({ rv, gr, obj }));
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(tmp, 'w');
    writeSync(fd, lines.join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, SNAPSHOT));
    writeFileSync(this.logPath, '');
  }

  /**
   * Rewrites the snapshot once the log holds `every` records, so a long-running sandbox's log
   * stays bounded (the state comes from `source`, the live store).
   */
  enableCompaction(
    source: () => { rv: number; entries: Iterable<[string, KubeObject]> },
    every = 100_000,
  ): void {
    this.compaction = { every, source };
  }

  private async compact(): Promise<void> {
    if (!this.compaction || this.compacting || this.closed) return;
    this.compacting = true;
    try {
      await this.writing;
      // Synchronous from here: the snapshot covers every buffered event, so the buffer is dropped.
      const { rv, entries } = this.compaction.source();
      this.writeSnapshot(rv, entries);
      this.buffer = [];
      this.logged = 0;
    } catch {
      // keep appending to the log; compaction is retried at the next threshold
    } finally {
      this.compacting = false;
    }
  }

  record(event: StoreEvent): void {
    if (this.closed) return;
    if (this.compaction && ++this.logged >= this.compaction.every) void this.compact();
    const line: LogLine =
      event.type === 'DELETED'
        ? {
            rv: event.rv,
            gr: event.gr,
            ns: event.object.metadata?.namespace,
            name: event.object.metadata?.name,
          }
        : { rv: event.rv, gr: event.gr, obj: event.object };
    this.buffer.push(JSON.stringify(line));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushAsync();
    }, this.flushDelayMs);
  }

  private flushAsync(): void {
    if (this.buffer.length === 0 || this.compacting) return;
    const data = this.buffer.join('\n') + '\n';
    this.buffer = [];
    this.writing = this.writing.then(() => appendFile(this.logPath, data)).catch(() => undefined);
  }

  /** Writes everything still buffered and fsyncs the log. */
  async close(): Promise<void> {
    while (this.compacting) await this.writing.then(() => new Promise((r) => setImmediate(r)));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushAsync();
    await this.writing;
    const fd = openSync(this.logPath, 'a');
    fsyncSync(fd);
    closeSync(fd);
  }
}
