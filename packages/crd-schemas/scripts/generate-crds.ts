// Writes charts/<app>/crds/*.yaml and docs/api/*.md for every CRD bundle registered in
// @opsmith/crd-schemas, plus the bundles exported by the modules named on the command line (the
// example operator keeps its own). Run by scripts/generate.mjs:
//   node --conditions=@opsmith/source packages/crd-schemas/scripts/generate-crds.ts [--check] [module.ts ...]
// With --check it writes nothing and exits 1 when a committed file differs from what would be
// generated. Output is prettier-formatted so `prettier --check .` and this check agree.
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import {
  bundlesExportedBy,
  crdBundles,
  renderBundles,
  syncGeneratedFiles,
  type CrdBundle,
  type GeneratedFile,
} from '../src/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');

async function loadBundles(modules: readonly string[]): Promise<CrdBundle[]> {
  const bundles = [...crdBundles];
  for (const m of modules) {
    const exported = bundlesExportedBy(
      (await import(pathToFileURL(isAbsolute(m) ? m : join(root, m)).href)) as object,
    );
    if (exported.length === 0) throw new Error(`${m} exports no CRD bundle`);
    bundles.push(...exported);
  }
  return bundles;
}

async function formatted(files: readonly GeneratedFile[]): Promise<GeneratedFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const filepath = join(root, f.path);
      const options = (await resolveConfig(filepath)) ?? {};
      return { ...f, content: await format(f.content, { ...options, filepath }) };
    }),
  );
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const modules = args.filter((a) => !a.startsWith('--'));
const files = await formatted(renderBundles(await loadBundles(modules)));
const stale = syncGeneratedFiles(root, files, check);
for (const path of stale) console.log(`${check ? 'stale' : 'wrote'} ${path}`);
process.exitCode = check && stale.length ? 1 : 0;
