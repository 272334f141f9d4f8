// Build semantics on small inline Dockerfiles (no run step): stage inheritance, ENTRYPOINT/CMD
// rules, globs, --chmod, named users, ARG scoping and RUN failures naming the line.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDockerfile, resolveUser } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'dockerfile-run-sem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(name: string, dockerfile: string, files: Record<string, string> = {}): string {
  const ctx = join(dir, name);
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(ctx, path, '..'), { recursive: true });
    writeFileSync(join(ctx, path), content);
  }
  return ctx;
}

describe('build semantics', () => {
  it('inherits a stage, resets an inherited CMD on ENTRYPOINT, expands ARGs per stage', async () => {
    const ctx = context(
      'inherit',
      [
        'ARG TAG=24-slim',
        'FROM node:${TAG} AS base',
        'ARG GREETING=hi ONLY_BASE=x',
        'ENV GREETING=$GREETING APP_HOME=/srv/app',
        'WORKDIR $APP_HOME',
        'FROM base',
        'ARG GREETING ONLY_BASE',
        'ENV SEEN="[${GREETING}][${ONLY_BASE}]"',
        'COPY conf/*.json ./conf/',
        'COPY --chmod=0700 bin/tool /usr/local/bin/',
        'USER node',
        'ENTRYPOINT ["node", "main.js"]',
      ].join('\n'),
      { 'conf/a.json': '{}', 'conf/b.json': '{}', 'conf/c.txt': 'x', 'bin/tool': '#!/bin/sh\n' },
    );
    const image = await buildDockerfile({ context: ctx, workDir: dir });
    try {
      expect(image.config).toMatchObject({
        workdir: '/srv/app',
        entrypoint: ['node', 'main.js'],
        cmd: [], // node:24 has CMD ["node"]; a new ENTRYPOINT resets it
        user: 'node',
      });
      // ARGs do not cross stages (ONLY_BASE is empty); an inherited ENV wins over an ARG of its name
      expect(image.config.env).toMatchObject({
        GREETING: 'hi',
        APP_HOME: '/srv/app',
        SEEN: '[hi][]',
      });
      expect(image.config.env).not.toHaveProperty('ONLY_BASE');
      expect(statSync(join(image.root, 'srv/app/conf/a.json')).isFile()).toBe(true);
      expect(statSync(join(image.root, 'srv/app/conf/b.json')).isFile()).toBe(true);
      expect(() => statSync(join(image.root, 'srv/app/conf/c.txt'))).toThrow();
      expect(statSync(join(image.root, 'usr/local/bin/tool')).mode & 0o777).toBe(0o700);
      expect(resolveUser(image.root, 'node')).toEqual({ uid: 1000, gid: 1000 });
      expect(() => resolveUser(image.root, 'nobody-here')).toThrow(
        /not in the image's \/etc\/passwd/,
      );
    } finally {
      image.dispose();
    }
  });

  it('stops at a target stage', async () => {
    const ctx = context('target', 'FROM node:24 AS one\nENV N=1\nFROM node:24 AS two\nENV N=2\n');
    const image = await buildDockerfile({ context: ctx, workDir: dir, target: 'one' });
    image.dispose();
    expect(image.config.env.N).toBe('1');
    await expect(buildDockerfile({ context: ctx, workDir: dir, target: 'three' })).rejects.toThrow(
      /target stage "three"/,
    );
  });

  it('fails a RUN with its line, command and output, and removes the stage directories', async () => {
    const ctx = context('fail', 'FROM node:24\nWORKDIR /w\nRUN echo about to fail && exit 3\n');
    const before = new Set(await import('node:fs').then((fs) => fs.readdirSync(dir)));
    await expect(buildDockerfile({ context: ctx, workDir: dir })).rejects.toThrow(
      /Dockerfile line 3: RUN \/bin\/sh -c echo about to fail && exit 3 exited with 3:\nabout to fail/,
    );
    const after = (await import('node:fs').then((fs) => fs.readdirSync(dir))).filter(
      (d) => !before.has(d),
    );
    expect(after).toEqual([]);
  });

  it('rejects a COPY source missing from the context and an unknown stage', async () => {
    const missing = context('missing', 'FROM node:24\nCOPY nope.txt /x\n');
    await expect(buildDockerfile({ context: missing, workDir: dir })).rejects.toThrow(
      /line 2: COPY source nope.txt not found in the build context/,
    );
    const stage = context('stage', 'FROM node:24\nCOPY --from=builder /a /b\n');
    await expect(buildDockerfile({ context: stage, workDir: dir })).rejects.toThrow(
      /line 2: COPY --from=builder: no such stage/,
    );
  });
});
