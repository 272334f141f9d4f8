import { pipeline } from 'node:stream/promises';
import type { Readable, Transform, Writable } from 'node:stream';

/**
 * Buffer size of the transforms on the backup path. Sources and storage move data in chunks of up
 * to a few MiB; Node's 16 KiB default would make every such chunk wait for a 'drain' round trip.
 */
export const STREAM_HIGH_WATER_MARK = 256 * 1024;

/**
 * Runs source -> transforms into a consumer that reads the last transform (e.g. an upload),
 * and fails both sides as soon as either fails, so no error is lost and nothing keeps running.
 */
export async function pipeInto<T>(
  source: Readable,
  transforms: Transform[],
  consume: (stream: Readable, signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const last = transforms[transforms.length - 1];
  if (!last) throw new Error('pipeInto needs at least one transform');
  let firstError: unknown;
  const failFast = (err: unknown) => {
    firstError ??= err;
    if (!ac.signal.aborted) ac.abort(err);
    throw err;
  };
  try {
    const streams: (Readable | Transform | Writable)[] = [source, ...transforms];
    const flowing = (pipeline as (...a: unknown[]) => Promise<void>)(...streams, {
      signal: ac.signal,
      end: true,
    }).catch(failFast);
    // pipeline() only ends the last transform's writable side; the consumer reads its readable side.
    const consuming = consume(last, ac.signal).catch(failFast);
    const [flowResult, consumeResult] = await Promise.allSettled([flowing, consuming]);
    if (flowResult.status === 'rejected' || consumeResult.status === 'rejected') throw firstError;
    return consumeResult.value;
  } finally {
    signal?.removeEventListener('abort', onOuterAbort);
  }
}
