import { describe, expect, it } from 'vitest';
import { checkVersionChange, lowestVersion, parseEtcdVersion } from './version.ts';

describe('version guard', () => {
  const table: [string, string, string][] = [
    ['3.4.23', '3.4.23', 'none'],
    ['3.4.23', '3.4.24', 'patch'],
    ['3.4.23', 'v3.4.30', 'patch'],
    ['3.4.23', '3.5.0', 'minor'],
    ['3.4.23', '3.5.17', 'minor'],
    ['3.4.23', '3.4.22', 'Downgrade'],
    ['3.5.0', '3.4.23', 'Downgrade'],
    ['3.4.23', '3.6.0', 'SkipsMinorVersion'],
    ['3.4.23', '4.0.0', 'MajorVersionChange'],
    ['3.4.23', '3.4', 'MalformedVersion'],
    ['3.4.23', 'latest', 'MalformedVersion'],
    ['3.4.23', '3.04.1', 'MalformedVersion'],
    ['garbage', '3.4.23', 'MalformedVersion'],
  ];
  for (const [from, to, want] of table) {
    it(`${from} -> ${to}: ${want}`, () => {
      const r = checkVersionChange(from, to);
      expect(r.allowed ? r.kind : r.reason).toBe(want);
      if (!r.allowed) expect(r.message.length).toBeGreaterThan(10);
    });
  }
  it('the running version is the lowest member version', () => {
    expect(lowestVersion(['3.5.0', '3.4.23', '3.4.9'])).toBe('3.4.9');
    expect(lowestVersion(['x'])).toBeUndefined();
    expect(parseEtcdVersion('v3.4.23')).toEqual({ major: 3, minor: 4, patch: 23 });
  });
});
