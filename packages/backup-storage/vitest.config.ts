import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

const preset = opsmithVitest(import.meta.dirname, { testTimeout: 60_000 });
// The AWS SDK's "module" builds use extensionless imports that Node's ESM loader rejects:
// resolve it (and everything else) the way Node does at run time.
const conditions = ['@opsmith/source', 'node', 'import', 'default'];

export default defineConfig({
  ...preset,
  resolve: { ...preset.resolve, conditions },
  ssr: { ...preset.ssr, resolve: { ...preset.ssr.resolve, conditions } },
});
