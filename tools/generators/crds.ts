// Writes charts/<app>/crds/*.yaml and docs/api/*.md for every CRD bundle registered in
// @opsmith/crd-schemas (and the example operator's). With --check, writes nothing and exits 1
// when a committed file differs from what would be generated. Output is prettier-formatted so
// `prettier --check .` and this check agree.
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import {
  crdBundles,
  renderBundles,
  syncGeneratedFiles,
  type CrdBundle,
} from '@opsmith/crd-schemas';
import { replicatorCrds } from '../../examples/configmap-replicator/src/crd.ts';

const root = join(import.meta.dirname, '..', '..');
const check = process.argv.includes('--check');
const bundles: CrdBundle[] = [...crdBundles, replicatorCrds];
const files = await Promise.all(
  renderBundles(bundles).map(async (f) => {
    const filepath = join(root, f.path);
    const options = (await resolveConfig(filepath)) ?? {};
    return { ...f, content: await format(f.content, { ...options, filepath }) };
  }),
);
const stale = syncGeneratedFiles(root, files, check);
for (const path of stale) console.log(`${check ? 'stale' : 'wrote'} ${path}`);
process.exit(check && stale.length ? 1 : 0);
