import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAtomic } from './atomic-writer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('atomic writer', () => {
  it('publishes files through ..data and swaps it on change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    dirs.push(dir);
    expect(
      writeAtomic(dir, {
        a: { data: Buffer.from('1'), mode: 0o644 },
        'sub/b': { data: Buffer.from('2'), mode: 0o600 },
      }),
    ).toBe(true);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('1');
    expect(readFileSync(join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect(lstatSync(join(dir, 'a')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'sub/b')).mode & 0o777).toBe(0o600);
    const first = readlinkSync(join(dir, '..data'));
    expect(
      writeAtomic(dir, {
        a: { data: Buffer.from('1'), mode: 0o644 },
        'sub/b': { data: Buffer.from('2'), mode: 0o600 },
      }),
    ).toBe(false);
    expect(writeAtomic(dir, { a: { data: Buffer.from('changed'), mode: 0o644 } })).toBe(true);
    expect(readlinkSync(join(dir, '..data'))).not.toBe(first);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('changed');
    expect(() => lstatSync(join(dir, 'sub'))).toThrow();
    expect(() => lstatSync(join(dir, first))).toThrow();
  });
});
