// Builds the fixture's multi-stage Dockerfile on the host and runs the result: in a read-only
// chroot as USER 65532 (root only, as in CI) and in mapped mode.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDockerfile,
  removeImage,
  runImage,
  runImageToCompletion,
  type BuildResult,
} from '../src/index.ts';

const context = join(import.meta.dirname, 'fixtures', 'app');
let workDir: string;
let image: BuildResult;

interface Report {
  uid: number;
  gid: number;
  cwd: string;
  args: string[];
  greeting: string;
  nodeEnv: string;
  node: string;
  builtBy: string;
  write: string;
}
const report = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Report;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'dockerfile-run-test-'));
  chmodSync(workDir, 0o755); // mapped mode runs as USER 65532 on host paths below this dir
  image = await buildDockerfile({ context, buildArgs: { VERSION: '1.2.3' }, workDir });
}, 120_000);

afterAll(() => {
  if (image) removeImage(image);
  rmSync(workDir, { recursive: true, force: true });
});

describe('buildDockerfile', () => {
  it('collects the final stage config', () => {
    expect(image.config).toMatchObject({
      user: '65532',
      workdir: '/app',
      entrypoint: ['node', '/app/main.js'],
      cmd: ['--mode=default'],
      labels: {
        'org.opencontainers.image.title': 'fixture app',
        'org.opencontainers.image.version': '1.2.3',
      },
      exposedPorts: ['8080/tcp'],
    });
    expect(image.config.env).toMatchObject({
      NODE_ENV: 'production',
      GREETING: 'hello from the image',
    });
    expect(image.notes.join('\n')).toMatch(/HEALTHCHECK is ignored/);
    expect(Object.keys(image.stages)).toEqual(
      expect.arrayContaining(['builder', 'runtime', '0', '1']),
    );
  });

  it('ran npm and node in the builder stage, in the stage root + WORKDIR', () => {
    const info = JSON.parse(
      readFileSync(join(image.stages.builder, 'src/dist/build-info.json'), 'utf8'),
    ) as { cwd: string; stageRoot: string };
    expect(info).toEqual({
      cwd: join(image.stages.builder, 'src'),
      stageRoot: image.stages.builder,
    });
    expect(readFileSync(join(image.root, 'app/built-by.txt'), 'utf8')).toMatch(/^v24\./);
  });

  it('copied only what .dockerignore lets through, from the builder stage, with the recorded owner', () => {
    expect(existsSync(join(image.root, 'app/main.js'))).toBe(true);
    expect(existsSync(join(image.root, 'app/ignored.txt'))).toBe(false);
    expect(existsSync(join(image.root, 'app/debug.secret'))).toBe(false);
    expect(existsSync(join(image.root, 'usr/local/bin/node'))).toBe(true);
    expect(image.ownership).toEqual([{ path: '/app', uid: 65532, gid: 65532 }]);
    if (process.getuid?.() === 0) expect(statSync(join(image.root, 'app/main.js')).uid).toBe(65532);
  });

  it('fails naming the line for a base image it cannot stand for', async () => {
    await expect(
      buildDockerfile({ context, buildArgs: { NODE_MAJOR: '22' }, workDir }),
    ).rejects.toThrow(/line 4: base image "node:22-slim" has no mapping/);
  });
});

describe('runImage', () => {
  it('runs ENTRYPOINT + CMD chrooted as USER 65532 on a read-only root', async () => {
    expect(process.getuid?.(), 'the chroot run needs root (CI runs tests as root)').toBe(0);
    const r = await runImageToCompletion(image, undefined, { readOnlyRoot: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(report(r.stdout)).toMatchObject({
      uid: 65532,
      gid: 65532,
      cwd: '/app',
      args: ['--mode=default'],
      greeting: 'hello from the image',
      nodeEnv: 'production',
      write: 'EROFS',
    });
  });

  it('lets args override CMD, and writes succeed on a writable root', async () => {
    const r = await runImageToCompletion(image, ['--mode=custom'], { env: { GREETING: 'hi' } });
    expect(r.code).toBe(0);
    expect(report(r.stdout)).toMatchObject({
      args: ['--mode=custom'],
      greeting: 'hi',
      write: 'ok',
      uid: 65532,
    });
    rmSync(join(image.root, 'app/probe.txt'), { force: true });
  });

  it('mounts host files and a writable tmpfs into a read-only root', async () => {
    const config = join(workDir, 'config.json');
    writeFileSync(config, '{"from":"host"}');
    const script =
      "const fs = require('node:fs'); fs.writeFileSync('/tmp/x', 'y');" +
      "console.log(fs.readFileSync('/etc/app/config.json', 'utf8'), fs.readFileSync('/tmp/x', 'utf8'))";
    const r = await runImageToCompletion(image, ['-e', script], {
      entrypoint: ['node'],
      readOnlyRoot: true,
      tmpfs: ['/tmp'],
      binds: { '/etc/app/config.json': config },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('{"from":"host"} y');
  });

  it('runs in mapped mode with image paths rewritten into the root', async () => {
    const running = runImage(image, ['--mode=mapped'], { mode: 'mapped' });
    expect(running.argv).toEqual([
      join(image.root, 'usr/local/bin/node'),
      join(image.root, 'app/main.js'),
      '--mode=mapped',
    ]);
    const { code } = await running.exited;
    expect(running.output().stderr).toBe('');
    expect(code).toBe(0);
    expect(report(running.output().stdout)).toMatchObject({
      cwd: join(image.root, 'app'),
      args: ['--mode=mapped'],
    });
  });

  it('stops a long-running image with SIGTERM', async () => {
    const running = runImage(
      image,
      [
        '-e',
        'setInterval(() => {}, 1000); process.on("SIGTERM", () => { console.log("bye"); process.exit(0); }); console.log("up")',
      ],
      { entrypoint: ['node'] },
    );
    await new Promise<void>((resolve) =>
      running.child.stdout?.on('data', (d: Buffer) => d.toString().includes('up') && resolve()),
    );
    expect(await running.stop()).toEqual({ code: 0, signal: null });
    expect(running.output().stdout).toContain('bye');
  });
});
