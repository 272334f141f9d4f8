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

export function createCompressor(kind: Compression, level?: number): Transform {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzip({ level: level ?? 6 });
    case 'zstd':
      return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level ?? 3 } });
  }
}

export function createDecompressor(kind: Compression): Transform {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return createZstdDecompress();
  }
}
