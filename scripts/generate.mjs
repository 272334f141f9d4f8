// Regenerates committed artifacts (CRD YAML, API reference) from their TypeScript sources.
//   node scripts/generate.mjs          write them
//   node scripts/generate.mjs --check  fail when a committed file differs from what would be written
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
// Each generator is a TypeScript entry point inside a project (so it is linted and typechecked
// with it) plus its arguments. It writes its files, or with --check writes nothing and exits
// non-zero when one is stale.
const generators = [
  // CRD YAML and API reference of every bundle in @opsmith/crd-schemas, plus the example's.
  ['packages/crd-schemas/scripts/generate-crds.ts', 'examples/configmap-replicator/src/crd.ts'],
  // The charts' values tables (install guide, chart READMEs), from values.schema.json and values.yaml.
  [
    'tools/values-table/src/cli.ts',
    'docs/install.md',
    'charts/etcd-operator/README.md',
    'charts/opsmith/README.md',
  ],
];
// Generators whose write mode needs a flag of its own (the others write unless given --check).
const writeFlag = { 'tools/values-table/src/cli.ts': '--write' };
let stale = 0;
for (const [entry, ...args] of generators) {
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=@opsmith/source',
      join(root, entry),
      ...(check ? ['--check'] : writeFlag[entry] ? [writeFlag[entry]] : []),
      ...args,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) stale++;
}
if (check && stale) {
  console.error('generated files are stale: run `node scripts/generate.mjs` and commit the result');
}
process.exit(stale ? 1 : 0);
