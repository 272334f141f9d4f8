import { describe, expect, it } from 'vitest';
import {
  imagePatternMatches,
  loadImageMap,
  normalizeImageRef,
  parseImageMap,
  parseImageUser,
  resolveImage,
} from './images.ts';

describe('image map', () => {
  it('normalizes Docker Hub names', () => {
    expect(normalizeImageRef('redis')).toBe('docker.io/library/redis:latest');
    expect(normalizeImageRef('prom/prometheus:v2.42.0')).toBe('docker.io/prom/prometheus:v2.42.0');
    expect(normalizeImageRef('quay.io/coreos/etcd:v3.5.0')).toBe('quay.io/coreos/etcd:v3.5.0');
    expect(normalizeImageRef('localhost:5000/app')).toBe('localhost:5000/app:latest');
  });

  it('matches patterns with and without tags and registries', () => {
    expect(imagePatternMatches('redis', 'redis:7')).toBe(true);
    expect(imagePatternMatches('redis:*', 'docker.io/library/redis:7.0')).toBe(true);
    expect(imagePatternMatches('redis:6*', 'redis:7.0')).toBe(false);
    expect(imagePatternMatches('quay.io/coreos/etcd', 'quay.io/coreos/etcd:v3.5.9')).toBe(true);
    expect(imagePatternMatches('quay.io/coreos/etcd', 'gcr.io/coreos/etcd:v3')).toBe(false);
  });

  it('resolves the default entries and lets later files win', () => {
    const map = loadImageMap();
    expect(resolveImage(map, 'quay.io/coreos/etcd:v3.5.17')?.files['/usr/local/bin/etcd']).toBe(
      '/usr/bin/etcd',
    );
    expect(resolveImage(map, 'prom/prometheus:v2.53.0')?.entrypoint).toEqual(['/bin/prometheus']);
    expect(resolveImage(map, 'busybox:1.36')?.cmd).toEqual(['sh']);
    expect(resolveImage(map, 'unknown.example/x:1')).toBeUndefined();
    const extra = parseImageMap(
      'images:\n  - match: busybox\n    cmd: [echo, custom]\n',
      '/tmp/extra.yaml',
    );
    expect(
      resolveImage({ entries: [...map.entries, ...extra], files: [] }, 'busybox')?.cmd,
    ).toEqual(['echo', 'custom']);
  });

  it('rejects malformed files and parses USER', () => {
    expect(() => parseImageMap('nope: 1', 'f.yaml')).toThrow('f.yaml');
    expect(parseImageUser('65534')).toEqual({ uid: 65534 });
    expect(parseImageUser('nobody:nogroup')).toEqual({ uid: 65534, gid: 65534 });
  });
});
