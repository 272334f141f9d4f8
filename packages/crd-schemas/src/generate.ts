import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderApiReference } from './docs.ts';
import type { CustomResource } from './resource.ts';

/** The CRDs one app ships: YAML goes to charts/<app>/crds/, the reference to docs/api/. */
export interface CrdBundle {
  app: string;
  resources: CustomResource[];
  /** Repo-relative overrides (examples keep their CRDs in their own directory). */
  crdDir?: string;
  docsDir?: string;
}

/** The CrdBundle values among a module's exports (a generator loads bundles by module path). */
export function bundlesExportedBy(moduleExports: object): CrdBundle[] {
  return Object.values(moduleExports).filter(isCrdBundle);
}

function isCrdBundle(v: unknown): v is CrdBundle {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Partial<CrdBundle>;
  return (
    typeof b.app === 'string' &&
    Array.isArray(b.resources) &&
    // Structural rather than instanceof: a module may hold another copy of the class (src vs dist).
    b.resources.every((r: unknown) => typeof (r as Partial<CustomResource>).crdYaml === 'function')
  );
}

export interface GeneratedFile {
  path: string;
  content: string;
}

/** Every generated file of the bundles, repo-relative (pure). */
export function renderBundles(bundles: readonly CrdBundle[]): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const b of bundles) {
    const crdDir = b.crdDir ?? `charts/${b.app}/crds`;
    const docsDir = b.docsDir ?? 'docs/api';
    for (const r of b.resources) {
      files.push({ path: `${crdDir}/${r.name}.yaml`, content: r.crdYaml() });
      files.push({ path: `${docsDir}/${r.name}.md`, content: renderApiReference(r) });
    }
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two CRDs generate ${f.path}`);
    seen.add(f.path);
  }
  return files;
}

/** Writes the files (or, with check, only compares); returns the paths that were stale. */
export function syncGeneratedFiles(
  root: string,
  files: readonly GeneratedFile[],
  check: boolean,
): string[] {
  const stale: string[] = [];
  for (const f of files) {
    const abs = join(root, f.path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    if (current === f.content) continue;
    stale.push(f.path);
    if (!check) {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, f.content);
    }
  }
  return stale;
}
