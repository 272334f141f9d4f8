import { PassThrough, type Transform } from 'node:stream';
import {
  constants,
  createGunzip,
  createGzip,
  createZstdCompress,
  createZstdDecompress,
} from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'zstd'];

/**
 * Output buffer size of the (de)compressors. zlib's default of 16 KiB means one stream hop, hash
 * update and storage write per 16 KiB; 1 MiB buffers cut that per-chunk overhead 64-fold while the
 * memory held stays a few MiB.
 */
export const CODEC_CHUNK_SIZE = 1024 * 1024;

/** The compressor for `kind`, or undefined for 'none' (the bytes pass unchanged, so no stream hop). */
export function createCompressor(kind: Compression, level?: number): Transform | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'gzip':
      return createGzip({ level: level ?? 6, chunkSize: CODEC_CHUNK_SIZE });
    case 'zstd':
      return createZstdCompress({
        chunkSize: CODEC_CHUNK_SIZE,
        params: { [constants.ZSTD_c_compressionLevel]: level ?? 3 },
      });
  }
}

export function createDecompressor(kind: Compression): Transform {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGunzip({ chunkSize: CODEC_CHUNK_SIZE });
    case 'zstd':
      return createZstdDecompress({ chunkSize: CODEC_CHUNK_SIZE });
  }
}
