// Performs a Dockerfile's build on the host: every stage's filesystem is a temp directory, base
// images come from the base-image map, COPY/WORKDIR paths are rewritten into the stage root and
// RUN executes with /bin/sh on the host, in the stage root + WORKDIR, with the stage's environment.
// Limits: RUN sees the host filesystem (absolute paths in RUN commands are host paths; use
// relative paths or $STAGE_ROOT), PATH for RUN is this workspace's node_modules/.bin + the host
// PATH (so `node`/`npm` are Node 24), and RUN --mount, heredocs and remote ADD are rejected.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  constants,
  cpSync,
  existsSync,
  globSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, matchesGlob, posix, relative, resolve } from 'node:path';
import {
  defaultBaseImages,
  resolveBaseImage,
  workspaceNode,
  type BaseImage,
  type BaseImageEntry,
} from './base-images.ts';
import {
  DockerfileError,
  expandVariables,
  parseDockerfile,
  type CommandForm,
  type Instruction,
  type Stage,
} from './parse.ts';

export interface ImageConfig {
  /** USER as written ('' = root). */
  user: string;
  env: Record<string, string>;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  exposedPorts: string[];
  volumes: string[];
  stopSignal?: string;
}

export interface OwnershipRecord {
  /** Path inside the image. */
  path: string;
  uid: number;
  gid: number;
}

export interface BuildResult {
  /** The final (or target) stage's root directory. */
  root: string;
  config: ImageConfig;
  /** Every built stage's root, by name (or index). */
  stages: Record<string, string>;
  /** COPY --chown records of the final stage (applied to the files only when building as root). */
  ownership: OwnershipRecord[];
  /** Host directories the base image's libraries stand for (bind-mounted when the image runs). */
  hostMounts: string[];
  /** Things the build ignored or approximated (HEALTHCHECK, ...). */
  notes: string[];
  /** Removes every stage directory. */
  dispose(): void;
}

export interface BuildOptions {
  /** The build context directory. */
  context: string;
  /** Default: <context>/Dockerfile. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** Stage to stop at (default: the last). */
  target?: string;
  /** More base-image entries (after the defaults; later entries win). */
  baseImages?: BaseImageEntry[];
  /** Parent directory for the stage directories (default: the OS temp dir). */
  workDir?: string;
  /** Build output lines (RUN output is included in errors either way). */
  log?: (line: string) => void;
  runTimeoutMs?: number;
}

interface StageState {
  root: string;
  config: ImageConfig;
  args: Record<string, string | undefined>;
  shell: string[];
  ownership: OwnershipRecord[];
  hostMounts: string[];
  /** Whether this stage set CMD (a new ENTRYPOINT then keeps it). */
  cmdSetHere?: boolean;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Resolves an image path against a stage root, refusing paths that escape it. */
export function inRoot(root: string, imagePath: string): string {
  const normal = posix.normalize(posix.join('/', imagePath));
  return join(root, normal);
}

function copyNodeFile(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  // A copy, not a hard link: chown/chmod of the image must never touch the workspace's binary.
  copyFileSync(source, target, constants.COPYFILE_FICLONE);
  chmodSync(target, statSync(source).mode & 0o7777);
}

function writeUsers(root: string, users: Record<string, number>): void {
  if (Object.keys(users).length === 0) return;
  mkdirSync(join(root, 'etc'), { recursive: true });
  const passwd = Object.entries(users)
    .map(
      ([name, id]) =>
        `${name}:x:${String(id)}:${String(id)}:${name}:${id === 0 ? '/root' : `/home/${name}`}:/sbin/nologin`,
    )
    .join('\n');
  const group = Object.entries(users)
    .map(([name, id]) => `${name}:x:${String(id)}:`)
    .join('\n');
  writeFileSync(join(root, 'etc', 'passwd'), passwd + '\n');
  writeFileSync(join(root, 'etc', 'group'), group + '\n');
}

function materializeBase(root: string, base: BaseImage): void {
  for (const dir of base.dirs) mkdirSync(inRoot(root, dir), { recursive: true });
  if (base.dirs.includes('/tmp')) chmodSync(inRoot(root, '/tmp'), 0o1777);
  for (const [imagePath, hostPath] of Object.entries(base.files)) {
    if (!existsSync(hostPath))
      throw new Error(`base image file ${imagePath}: host file ${hostPath} is missing`);
    copyNodeFile(hostPath, inRoot(root, imagePath));
  }
  writeUsers(root, base.users);
}

/** Reads name -> id from the stage's /etc/passwd or /etc/group. */
function idTable(root: string, file: 'passwd' | 'group'): Map<string, number> {
  const path = join(root, 'etc', file);
  const table = new Map<string, number>();
  if (!existsSync(path)) return table;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) table.set(name, Number(id));
  }
  return table;
}

/** "user[:group]" (names or numbers) -> ids, using the image's /etc/passwd like Docker does. */
export function resolveUser(root: string, spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const users = idTable(root, 'passwd');
  const uid = /^\d+$/.test(user) ? Number(user) : users.get(user);
  if (uid === undefined) throw new Error(`user "${user}" is not in the image's /etc/passwd`);
  if (group === undefined) return { uid, gid: /^\d+$/.test(user) ? uid : uid };
  const gid = /^\d+$/.test(group) ? Number(group) : idTable(root, 'group').get(group);
  if (gid === undefined) throw new Error(`group "${group}" is not in the image's /etc/group`);
  return { uid, gid };
}

function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
  }
}

function chmodTree(path: string, mode: number): void {
  chmodSync(path, mode);
  if (lstatSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chmodTree(join(path, entry), mode);
  }
}

/** .dockerignore patterns (with ! exceptions) -> a predicate on context-relative paths. */
export function dockerignore(text: string): (relPath: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix
        .normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''))
        .replace(/\/$/, '');
      return { negate, pattern };
    });
  return (relPath: string) => {
    let ignored = false;
    for (const { negate, pattern } of rules) {
      // a pattern also ignores everything below a matching directory
      const parts = relPath.split('/');
      const hit = parts.some((_, i) => matchesGlob(parts.slice(0, i + 1).join('/'), pattern));
      if (hit) ignored = !negate;
    }
    return ignored;
  };
}

function expandAll(words: string[], vars: Record<string, string | undefined>): string[] {
  return words.map((w) => expandVariables(w, vars));
}

function commandArgv(form: CommandForm, shell: string[]): string[] {
  return 'exec' in form ? form.exec : [...shell, form.shell];
}

function runOnHost(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; uid?: number; gid?: number; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
    });
    let output = '';
    const onData = (d: Buffer) => (output += d.toString());
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

function stageVars(state: StageState): Record<string, string | undefined> {
  return { ...state.args, ...state.config.env };
}

async function runInstruction(
  ins: Instruction,
  state: StageState,
  ctx: {
    context: string;
    buildArgs: Record<string, string>;
    globalArgs: Record<string, string | undefined>;
    stageRoots: Map<string, string>;
    ignored: (rel: string) => boolean;
    notes: string[];
    log: (line: string) => void;
    runTimeoutMs: number;
  },
): Promise<void> {
  const vars = stageVars(state);
  const fail = (message: string): never => {
    throw new DockerfileError(ins.line, message);
  };
  switch (ins.kind) {
    case 'ARG':
      for (const a of ins.args) {
        const fromBuild = ctx.buildArgs[a.name];
        const fromGlobal = a.name in ctx.globalArgs ? ctx.globalArgs[a.name] : undefined;
        state.args[a.name] =
          fromBuild ?? (a.value !== undefined ? expandVariables(a.value, vars) : fromGlobal);
      }
      return;
    case 'ENV':
      for (const [k, v] of ins.pairs) state.config.env[k] = expandVariables(v, stageVars(state));
      return;
    case 'LABEL':
      for (const [k, v] of ins.pairs)
        state.config.labels[expandVariables(k, vars)] = expandVariables(v, vars);
      return;
    case 'WORKDIR': {
      const path = expandVariables(ins.path, vars);
      state.config.workdir = posix.resolve(state.config.workdir || '/', path);
      mkdirSync(inRoot(state.root, state.config.workdir), { recursive: true });
      return;
    }
    case 'USER':
      state.config.user = expandVariables(ins.user, vars);
      return;
    case 'EXPOSE':
      for (const p of expandAll(ins.ports, vars)) {
        const port = p.includes('/') ? p : `${p}/tcp`;
        if (!state.config.exposedPorts.includes(port)) state.config.exposedPorts.push(port);
      }
      return;
    case 'VOLUME':
      state.config.volumes.push(...expandAll(ins.paths, vars));
      return;
    case 'STOPSIGNAL':
      state.config.stopSignal = expandVariables(ins.signal, vars);
      return;
    case 'SHELL':
      state.shell = ins.shell;
      return;
    case 'CMD':
      state.config.cmd = commandArgv(ins.command, state.shell);
      return;
    case 'ENTRYPOINT':
      state.config.entrypoint = commandArgv(ins.command, state.shell);
      // Docker: a new ENTRYPOINT resets a CMD inherited from the base image
      if (!state.cmdSetHere) state.config.cmd = [];
      return;
    case 'IGNORED':
      ctx.notes.push(`line ${String(ins.line)}: ${ins.note}`);
      return;
    case 'COPY':
      copyInstruction(ins, state, ctx, vars, fail);
      return;
    case 'RUN': {
      const argv = commandArgv(ins.command, state.shell);
      const cwd = inRoot(state.root, state.config.workdir || '/');
      mkdirSync(cwd, { recursive: true });
      const bin = dirname(workspaceNode());
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(vars)) if (v !== undefined) env[k] = v;
      Object.assign(env, {
        PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        STAGE_ROOT: state.root,
        HOME: process.env.HOME ?? '/root',
      });
      let ids: { uid?: number; gid?: number } = {};
      if (isRoot() && state.config.user) {
        const { uid, gid } = resolveUser(state.root, state.config.user);
        if (uid !== 0) {
          ids = { uid, gid };
          env.HOME = inRoot(state.root, '/tmp');
        }
      }
      ctx.log(`RUN ${argv.join(' ')}`);
      const { code, output } = await runOnHost(argv, {
        cwd,
        env,
        ...ids,
        timeoutMs: ctx.runTimeoutMs,
      });
      if (output) ctx.log(output.trimEnd());
      if (code !== 0)
        fail(`RUN ${argv.join(' ')} exited with ${String(code)}:\n${output.trimEnd()}`);
      return;
    }
  }
}

function copyInstruction(
  ins: Extract<Instruction, { kind: 'COPY' }>,
  state: StageState,
  ctx: {
    context: string;
    stageRoots: Map<string, string>;
    ignored: (rel: string) => boolean;
    notes: string[];
  },
  vars: Record<string, string | undefined>,
  fail: (message: string) => never,
): void {
  let sourceRoot = ctx.context;
  const fromContext = ins.from === undefined;
  if (ins.from !== undefined) {
    const from = expandVariables(ins.from, vars).toLowerCase();
    const stageRoot = ctx.stageRoots.get(from);
    if (!stageRoot) fail(`COPY --from=${from}: no such stage (images are not fetched)`);
    sourceRoot = stageRoot;
  }
  const sources = expandAll(ins.sources, vars);
  if (ins.add && sources.some((s) => /^[a-z]+:\/\//.test(s)))
    fail('ADD from a URL is not supported');
  const matches: string[] = [];
  for (const source of sources) {
    const rel = posix.normalize(source.replace(/^\/+/, '')) || '.';
    if (rel.startsWith('..'))
      fail(`COPY source ${source} is outside the ${fromContext ? 'context' : 'stage'}`);
    const found = /[*?[]/.test(rel) ? globSync(rel, { cwd: sourceRoot }) : [rel];
    const existing = found.filter(
      (r) => existsSync(join(sourceRoot, r)) && !(fromContext && r !== '.' && ctx.ignored(r)),
    );
    if (existing.length === 0)
      fail(
        `COPY source ${source} not found${fromContext ? ' in the build context' : ` in stage ${String(ins.from)}`}`,
      );
    matches.push(...existing);
  }
  const destPath = posix.resolve(state.config.workdir || '/', expandVariables(ins.dest, vars));
  const destIsDir = ins.dest.endsWith('/') || matches.length > 1 || ins.dest === '.';
  const owner = ins.chown ? resolveUser(state.root, expandVariables(ins.chown, vars)) : undefined;
  const written: string[] = [];
  for (const rel of matches) {
    const src = join(sourceRoot, rel);
    const isDir = statSync(src).isDirectory();
    const targetImagePath = isDir || !destIsDir ? destPath : posix.join(destPath, basename(rel));
    const target = inRoot(state.root, targetImagePath);
    mkdirSync(isDir ? target : dirname(target), { recursive: true });
    cpSync(src, target, {
      recursive: true,
      force: true,
      verbatimSymlinks: true,
      filter: (from) => {
        if (!fromContext) return true;
        const r = relative(ctx.context, from).split('\\').join('/');
        return r === '' || r === rel || !ctx.ignored(r);
      },
    });
    written.push(targetImagePath);
  }
  if (ins.chmod) {
    const mode = parseInt(ins.chmod, 8);
    for (const p of written) chmodTree(inRoot(state.root, p), mode);
  }
  if (owner) {
    for (const p of written) {
      state.ownership.push({ path: p, ...owner });
      if (isRoot()) chownTree(inRoot(state.root, p), owner.uid, owner.gid);
    }
  }
}

function emptyConfig(): ImageConfig {
  return {
    user: '',
    env: {},
    workdir: '/',
    entrypoint: [],
    cmd: [],
    labels: {},
    exposedPorts: [],
    volumes: [],
  };
}

function newStageDir(workDir: string, label: string): string {
  const dir = mkdtempSync(join(workDir, `dockerfile-run-${label.replace(/[^a-z0-9-]/gi, '_')}-`));
  chmodSync(dir, 0o755); // like an image root: other users (USER 65532) traverse it
  return dir;
}

/** Builds the Dockerfile's target stage on the host (see the file comment for the limits). */
export async function buildDockerfile(opts: BuildOptions): Promise<BuildResult> {
  const context = resolve(opts.context);
  const dockerfilePath = opts.dockerfile ? resolve(opts.dockerfile) : join(context, 'Dockerfile');
  const parsed = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
  const entries = [...defaultBaseImages(), ...(opts.baseImages ?? [])];
  const buildArgs = opts.buildArgs ?? {};
  const globalArgs: Record<string, string | undefined> = {};
  for (const a of parsed.globalArgs) globalArgs[a.name] = buildArgs[a.name] ?? a.value;
  const ignorePath = join(context, '.dockerignore');
  const ignored = existsSync(ignorePath)
    ? dockerignore(readFileSync(ignorePath, 'utf8'))
    : () => false;
  const workDir = opts.workDir ?? tmpdir();
  const log = opts.log ?? (() => undefined);
  const notes: string[] = [];
  const stageRoots = new Map<string, string>();
  const states = new Map<Stage, StageState>();
  const dirs: string[] = [];
  const dispose = () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };

  const target = opts.target?.toLowerCase();
  const targetIndex =
    target === undefined
      ? parsed.stages.length - 1
      : parsed.stages.findIndex((s) => s.name === target);
  if (targetIndex < 0)
    throw new Error(`target stage "${String(opts.target)}" is not in ${dockerfilePath}`);

  try {
    for (const stage of parsed.stages.slice(0, targetIndex + 1)) {
      const from = expandVariables(stage.from, globalArgs).toLowerCase();
      const root = newStageDir(workDir, stage.name ?? String(stage.index));
      dirs.push(root);
      const parent = [...states.entries()].find(([s]) => s.name === from)?.[1];
      let state: StageState;
      if (parent) {
        cpSync(parent.root, root, { recursive: true, verbatimSymlinks: true });
        state = {
          root,
          config: structuredClone(parent.config),
          args: {},
          shell: parent.shell,
          ownership: [...parent.ownership],
          hostMounts: parent.hostMounts,
        };
      } else {
        let base: BaseImage;
        try {
          base = resolveBaseImage(from, entries);
        } catch (err) {
          throw new DockerfileError(stage.line, (err as Error).message);
        }
        materializeBase(root, base);
        const config = emptyConfig();
        Object.assign(config.env, base.env);
        config.entrypoint = base.entrypoint ?? [];
        config.cmd = base.cmd ?? [];
        config.user = base.user ?? '';
        config.workdir = base.workdir ?? '/';
        state = {
          root,
          config,
          args: {},
          shell: ['/bin/sh', '-c'],
          ownership: [],
          hostMounts: base.hostMounts,
        };
      }
      log(`stage ${stage.name ?? String(stage.index)}: FROM ${from} -> ${root}`);
      let cmdSetHere = false;
      for (const ins of stage.instructions) {
        if (ins.kind === 'CMD') cmdSetHere = true;
        await runInstruction(ins, Object.assign(state, { cmdSetHere }), {
          context,
          buildArgs,
          globalArgs,
          stageRoots,
          ignored,
          notes,
          log,
          runTimeoutMs: opts.runTimeoutMs ?? 300_000,
        });
      }
      states.set(stage, state);
      stageRoots.set(String(stage.index), root);
      if (stage.name) stageRoots.set(stage.name, root);
    }
  } catch (err) {
    dispose();
    throw err;
  }
  const final = states.get(parsed.stages[targetIndex]);
  if (!final) throw new Error('internal: the target stage was not built');
  return {
    root: final.root,
    config: final.config,
    stages: Object.fromEntries(stageRoots),
    ownership: final.ownership,
    hostMounts: final.hostMounts,
    notes,
    dispose,
  };
}
