// Shared vitest settings. Kept as plain JavaScript so the config loader needs no TypeScript step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Resolve workspace packages to their TypeScript sources, so tests never need a build first.
// No "module" condition: Node never applies it, and packages such as the AWS SDK ship an ESM build
// under it that Node cannot load.
const conditions = ['@opsmith/source', 'node', 'default'];

export function opsmithVitest(projectRoot, options = {}) {
  const { name } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  // scripts/test.ts sets OPSMITH_TEST_REPORT so every project writes a JSON report that the
  // run total ("N passed, N failed") is summed from.
  const reporters = process.env.OPSMITH_TEST_REPORT
    ? ['default', ['json', { outputFile: join(projectRoot, 'test-output', 'report.json') }]]
    : ['default'];
  return {
    root: projectRoot,
    cacheDir: join(projectRoot, '..', '..', 'node_modules', '.vite', name.replace('/', '_')),
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@opsmith/source'] } },
    test: {
      name,
      watch: false,
      globals: true,
      environment: 'node',
      include: ['{src,test}/**/*.{test,spec}.ts'],
      reporters,
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: options.hookTimeout ?? 60_000,
      globalSetup: options.globalSetup,
      ...(options.serial ? { fileParallelism: false } : {}),
      server: { deps: { inline: [/@opsmith\//] } },
    },
  };
}
