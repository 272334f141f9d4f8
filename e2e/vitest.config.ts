import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

// e2e sits one level below the workspace root, so the preset's cache path is corrected here.
export default defineConfig({
  ...opsmithVitest(import.meta.dirname, { testTimeout: 120_000 }),
  cacheDir: join(import.meta.dirname, '..', 'node_modules', '.vite', 'opsmith_e2e'),
});
