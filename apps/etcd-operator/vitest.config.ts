import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

const preset = opsmithVitest(import.meta.dirname, { testTimeout: 60_000 });
// Resolve packages the way Node does at run time. The preset's extra "import"/"module" conditions
// are also passed to Node's loader, which then hands CommonJS require() calls ESM builds: the AWS
// SDK's "module" build fails to load, and protobufjs's require('long') gets long's ESM build,
// rejects it and decodes uint64 etcd member ids as lossy JS numbers.
const conditions = ['@opsmith/source', 'node', 'default'];

export default defineConfig({
  ...preset,
  resolve: { ...preset.resolve, conditions },
  ssr: { ...preset.ssr, resolve: { ...preset.ssr.resolve, conditions } },
});
