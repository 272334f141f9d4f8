import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

// Serial: each file runs its own kube-sandbox with pods as real processes; on 2 cores, one at a
// time keeps every wait far from its bound.
// e2e sits one level below the workspace root, so the preset's cache path is corrected here.
export default defineConfig({
  ...opsmithVitest(import.meta.dirname, { testTimeout: 120_000, serial: true }),
  cacheDir: join(import.meta.dirname, '..', 'node_modules', '.vite', 'opsmith_e2e'),
});
