import { lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeAtomic } from './atomic-writer.ts';
import { applyFsGroupRecursive } from './volumes.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// The kubelet's SetVolumeOwnership on a read-only (Secret) volume: a 0400 file becomes 0440 and
// group-owned by the fsGroup, so a non-root container in that group can read its certificate.
it('fsGroup makes a 0400 secret file group-readable, through ..data, links untouched', () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (chown), like the node');
  const dir = mkdtempSync(join(tmpdir(), 'fsgroup-'));
  dirs.push(dir);
  writeAtomic(dir, { 'tls.key': { data: Buffer.from('k'), mode: 0o400 } });
  const linkBefore = lstatSync(join(dir, 'tls.key'));
  applyFsGroupRecursive(dir, 4321);
  const file = statSync(join(dir, 'tls.key'));
  expect(file.mode & 0o777).toBe(0o440);
  expect(file.gid).toBe(4321);
  expect(statSync(join(dir, '..data')).mode & 0o2550).toBe(0o2550);
  const linkAfter = lstatSync(join(dir, 'tls.key'));
  expect(linkAfter.isSymbolicLink()).toBe(true);
  expect(linkAfter.gid).toBe(linkBefore.gid);
});
