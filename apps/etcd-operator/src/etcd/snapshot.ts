// A snapshot streamed from one member through Maintenance.Snapshot. The bytes are etcd's bbolt
// database followed by a sha256 trailer, which `etcdctl snapshot restore` verifies.
import { Readable } from 'node:stream';
import type { EtcdClient } from './client.ts';
import { toEtcdError } from './errors.ts';

export interface SnapshotStream {
  /** The snapshot bytes; errors (member gone, timeout) surface as stream errors. */
  stream: Readable;
  endpoint: string;
  memberId: string;
  /**
   * The store revision a status call reported just before the snapshot started: the snapshot
   * contains at least this revision.
   */
  revision: string;
  /** etcd server version of the member, recorded with the backup. */
  version: string;
  /** Size of the member's database when the snapshot started (the stream is about this long). */
  dbSize: number;
}

interface SnapshotMessage {
  blob: Buffer;
}

/**
 * Opens a snapshot stream from `endpoint`. `timeoutMs` bounds the whole transfer (default: no
 * bound, since a large database takes as long as it takes); destroying the stream cancels the RPC.
 */
export async function openSnapshot(
  client: EtcdClient,
  endpoint: string,
  options: { timeoutMs?: number } = {},
): Promise<SnapshotStream> {
  const status = await client.status(endpoint);
  const etcd = client.clientFor(endpoint);
  let rpc: NodeJS.ReadableStream & { cancel?: () => void };
  try {
    rpc = (await etcd.maintenance.snapshot(
      options.timeoutMs ? { deadline: new Date(Date.now() + options.timeoutMs) } : {},
    )) as unknown as NodeJS.ReadableStream & { cancel?: () => void };
  } catch (err) {
    throw toEtcdError(err, 'snapshot', endpoint);
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const msg of rpc as AsyncIterable<SnapshotMessage>) {
        if (msg.blob.length > 0) yield msg.blob;
      }
    } catch (err) {
      throw toEtcdError(err, 'snapshot', endpoint);
    } finally {
      // Ends the server-side stream when the consumer stops early.
      rpc.cancel?.();
    }
  }
  return {
    stream: Readable.from(chunks(), { objectMode: false }),
    endpoint,
    memberId: status.memberId,
    revision: status.revision,
    version: status.version,
    dbSize: status.dbSize,
  };
}
