// Builds the Go renderer from Debian's Go toolchain and sprig/yaml/gojsonschema sources (GOPATH
// mode, no module downloads) and runs it. The binary is cached beside the sources and rebuilt
// when any .go file is newer.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');
const goDir = join(root, 'go');
const binary = join(root, 'bin', 'chart-render');

export interface RenderOptions {
  releaseName?: string;
  namespace?: string;
  valueFiles?: string[];
  set?: string[];
  setString?: string[];
  skipCrds?: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** Builds bin/chart-render when missing or stale; returns its path. Fails naming the missing tool. */
export function buildChartRenderer(): string {
  const newestSource = Math.max(
    ...readdirSync(goDir)
      .filter((f) => f.endsWith('.go'))
      .map((f) => statSync(join(goDir, f)).mtimeMs),
  );
  if (existsSync(binary) && statSync(binary).mtimeMs >= newestSource) return binary;
  mkdirSync(join(root, 'bin'), { recursive: true });
  try {
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: goDir,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new Error(
        'chart-render: the Go toolchain is missing; run scripts/ensure-tools (as root) to install it',
      );
    }
    throw new Error(
      `chart-render: go build failed (run scripts/ensure-tools): ${e.stderr?.toString() ?? String(err)}`,
    );
  }
  return binary;
}

function flags(opts: RenderOptions): string[] {
  const a: string[] = [];
  if (opts.releaseName) a.push('--name', opts.releaseName);
  if (opts.namespace) a.push('--namespace', opts.namespace);
  for (const f of opts.valueFiles ?? []) a.push('-f', f);
  for (const s of opts.set ?? []) a.push('--set', s);
  for (const s of opts.setString ?? []) a.push('--set-string', s);
  if (opts.skipCrds) a.push('--skip-crds');
  if (opts.kubeVersion) a.push('--kube-version', opts.kubeVersion);
  for (const v of opts.apiVersions ?? []) a.push('--api-versions', v);
  return a;
}

async function runRenderer(args: string[]): Promise<string> {
  const bin = buildChartRenderer();
  try {
    const { stdout } = await execFileAsync(bin, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error((e.stderr ?? String(err)).replace(/^Error: /, '').trim());
  }
}

/** Renders a chart like `helm template`; returns the YAML stream and the parsed objects in install order. */
export async function renderChart(
  chartDir: string,
  opts: RenderOptions = {},
): Promise<{ yaml: string; objects: Record<string, unknown>[] }> {
  const yaml = await runRenderer(['template', chartDir, ...flags(opts)]);
  const objects = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null && typeof o === 'object');
  return { yaml, objects };
}

/** Lints a chart like `helm lint` (plus this project's stricter Chart.yaml rules); throws the problems. */
export async function lintChart(chartDir: string, opts: RenderOptions = {}): Promise<string> {
  return runRenderer(['lint', chartDir, ...flags(opts)]);
}
