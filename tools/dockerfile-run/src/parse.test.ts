import { describe, expect, it } from 'vitest';
import { resolveBaseImage, defaultBaseImages } from './base-images.ts';
import { dockerignore } from './build.ts';
import { expandVariables, logicalLines, parseDockerfile, splitWords } from './parse.ts';
import { chrootScript, imageArgv, mapArgv } from './run.ts';

describe('logicalLines', () => {
  it('joins continuations and drops comments and blank lines, keeping the first line number', () => {
    const lines = logicalLines('# c\nFROM a\n\nRUN one \\\n  # inside\n  && two\nUSER x\n');
    expect(lines).toEqual([
      { line: 2, text: 'FROM a' },
      { line: 4, text: 'RUN one   && two' },
      { line: 7, text: 'USER x' },
    ]);
  });
});

describe('splitWords', () => {
  it('honours double and single quotes and backslash escapes', () => {
    expect(splitWords(`a="b c" 'd e' f\\ g "h\\"i"`)).toEqual(['a=b c', 'd e', 'f g', 'h"i']);
  });
  it('rejects an unterminated quote', () => {
    expect(() => splitWords('a "b')).toThrow(/unterminated/);
  });
});

describe('expandVariables', () => {
  const vars = { A: 'x', EMPTY: '' };
  it('expands $A, ${A}, defaults and alternatives; keeps escaped dollars', () => {
    expect(expandVariables('$A-${A}-${B:-def}-${A:+alt}-${B:+alt}-\\$A-${EMPTY:-e}', vars)).toBe(
      'x-x-def-alt--$A-e',
    );
  });
  it('leaves a lone dollar and unknown variables empty like Docker', () => {
    expect(expandVariables('cost $ 5 $NOPE.', vars)).toBe('cost $ 5 .');
  });
});

describe('parseDockerfile', () => {
  const text = `ARG BASE=node:24
FROM \${BASE} AS Build
ENV A=1 B="two words"
ENV LEGACY value with spaces
LABEL org.opencontainers.image.title="t" x=y
WORKDIR /src
COPY --chown=1000:1000 --chmod=755 a b /dest/
ADD ["c d", "/e"]
RUN echo hi
RUN ["node", "-e", "1"]
HEALTHCHECK CMD true
FROM gcr.io/distroless/nodejs24-debian12
COPY --from=build /src/out /app
USER nonroot
EXPOSE 8080 9090/udp
SHELL ["/bin/bash", "-c"]
STOPSIGNAL SIGINT
VOLUME /data
ENTRYPOINT ["node", "/app/main.js"]
CMD serve --port 8080
`;
  const df = parseDockerfile(text);
  it('splits stages, lower-cases stage names and keeps global ARGs', () => {
    expect(df.globalArgs).toEqual([{ name: 'BASE', value: 'node:24' }]);
    expect(df.stages.map((s) => [s.index, s.name, s.from])).toEqual([
      [0, 'build', '${BASE}'],
      [1, undefined, 'gcr.io/distroless/nodejs24-debian12'],
    ]);
  });
  it('parses ENV/LABEL pairs (both ENV forms), COPY flags and exec/shell forms', () => {
    const [env, legacy, label, workdir, copy, add, run1, run2, hc] = df.stages[0].instructions;
    expect(env).toMatchObject({
      kind: 'ENV',
      pairs: [
        ['A', '1'],
        ['B', 'two words'],
      ],
    });
    expect(legacy).toMatchObject({ kind: 'ENV', pairs: [['LEGACY', 'value with spaces']] });
    expect(label).toMatchObject({
      pairs: [
        ['org.opencontainers.image.title', 't'],
        ['x', 'y'],
      ],
    });
    expect(workdir).toMatchObject({ kind: 'WORKDIR', path: '/src' });
    expect(copy).toMatchObject({
      kind: 'COPY',
      add: false,
      sources: ['a', 'b'],
      dest: '/dest/',
      chown: '1000:1000',
      chmod: '755',
    });
    expect(add).toMatchObject({ kind: 'COPY', add: true, sources: ['c d'], dest: '/e' });
    expect(run1).toMatchObject({ kind: 'RUN', command: { shell: 'echo hi' } });
    expect(run2).toMatchObject({ kind: 'RUN', command: { exec: ['node', '-e', '1'] } });
    expect(hc).toMatchObject({ kind: 'IGNORED', keyword: 'HEALTHCHECK' });
  });
  it('parses the runtime stage instructions', () => {
    const kinds = df.stages[1].instructions.map((i) => i.kind);
    expect(kinds).toEqual([
      'COPY',
      'USER',
      'EXPOSE',
      'SHELL',
      'STOPSIGNAL',
      'VOLUME',
      'ENTRYPOINT',
      'CMD',
    ]);
    expect(df.stages[1].instructions[0]).toMatchObject({
      from: 'build',
      sources: ['/src/out'],
      dest: '/app',
    });
    expect(df.stages[1].instructions[2]).toMatchObject({ ports: ['8080', '9090/udp'] });
    expect(df.stages[1].instructions[7]).toMatchObject({ command: { shell: 'serve --port 8080' } });
  });
  it('names the line of an error', () => {
    expect(() => parseDockerfile('FROM a\nFROB x')).toThrow(
      'Dockerfile line 2: unknown instruction FROB',
    );
    expect(() => parseDockerfile('USER x\nFROM a')).toThrow(/line 1: USER before the first FROM/);
    expect(() => parseDockerfile('FROM a\nRUN --mount=type=cache,target=/x true')).toThrow(
      /RUN --mount is not supported/,
    );
    expect(() => parseDockerfile('# nothing')).toThrow(/no FROM/);
  });
});

describe('base images', () => {
  const entries = defaultBaseImages('/opt/node');
  it('maps node:24 tags and distroless nodejs24 to this host’s Node binary', () => {
    expect(resolveBaseImage('node:24-slim', entries).files).toEqual({
      '/usr/local/bin/node': '/opt/node',
    });
    expect(
      resolveBaseImage('docker.io/library/node:24.11-bookworm-slim@sha256:abc', entries).files,
    ).toEqual({
      '/usr/local/bin/node': '/opt/node',
    });
    const distroless = resolveBaseImage('gcr.io/distroless/nodejs24-debian12:nonroot', entries);
    expect(distroless.entrypoint).toEqual(['/nodejs/bin/node']);
    expect(distroless.users.nonroot).toBe(65532);
  });
  it('refuses an image it cannot stand for, naming what it knows', () => {
    expect(() => resolveBaseImage('node:22-slim', entries)).toThrow(
      /base image "node:22-slim" has no mapping on this host.*node:24/,
    );
  });
});

describe('dockerignore', () => {
  it('ignores matches and everything below matching directories; ! re-includes', () => {
    const ignored = dockerignore('# c\nnode_modules\n**/*.log\n!keep.log\n/dist/\n');
    expect(ignored('node_modules/x/y.js')).toBe(true);
    expect(ignored('a/b/c.log')).toBe(true);
    expect(ignored('keep.log')).toBe(false);
    expect(ignored('dist/main.js')).toBe(true);
    expect(ignored('src/main.ts')).toBe(false);
  });
});

describe('run planning', () => {
  const config = {
    user: '',
    env: {},
    workdir: '/app',
    entrypoint: ['node', '/app/main.js'],
    cmd: ['--a'],
    labels: {},
    exposedPorts: [],
    volumes: [],
  };
  it('applies Docker’s ENTRYPOINT/CMD override rules', () => {
    expect(imageArgv(config)).toEqual(['node', '/app/main.js', '--a']);
    expect(imageArgv(config, ['--b'])).toEqual(['node', '/app/main.js', '--b']);
    expect(imageArgv(config, ['x'], ['/bin/sh'])).toEqual(['/bin/sh', 'x']);
    expect(() => imageArgv({ ...config, entrypoint: [], cmd: [] })).toThrow(
      /neither ENTRYPOINT nor CMD/,
    );
  });
  it('maps image paths into the root in mapped mode only when they exist there', () => {
    const root = import.meta.dirname; // any directory: this one holds parse.ts
    expect(mapArgv(root, ['/parse.ts', '/parse.ts', '/nope', 'rel'], '/usr/bin')).toEqual([
      `${root}/parse.ts`,
      `${root}/parse.ts`,
      '/nope',
      'rel',
    ]);
  });
  it('plans a read-only chroot with the base libraries bound read-only', () => {
    const script = chrootScript({
      root: '/r',
      hostMounts: ['/lib'],
      readOnlyRoot: true,
      tmpfs: ['/tmp'],
      binds: {},
      workdir: '/app',
      uid: 65532,
      gid: 65532,
      argv: ['node', "it's"],
    });
    expect(script).toContain("/usr/bin/mount -o remount,bind,ro '/r'");
    expect(script).toContain("/usr/bin/mount --bind '/lib' '/r/lib'");
    expect(script).toContain("mount -t tmpfs -o mode=1777 tmpfs '/r/tmp'");
    expect(script.split('\n').at(-1)).toBe(
      `exec /usr/bin/unshare --root='/r' --wd='/app' -S 65532 -G 65532 -- 'node' 'it'\\''s'`,
    );
  });
  it('runs the program as PID 1 of its own PID namespace when asked', () => {
    const script = chrootScript({
      root: '/r',
      hostMounts: [],
      readOnlyRoot: false,
      tmpfs: [],
      binds: {},
      workdir: '/',
      uid: 0,
      gid: 0,
      argv: ['node'],
      pidNamespace: true,
    });
    expect(script.split('\n').at(-1)).toBe(
      `exec /usr/bin/unshare --pid --fork --root='/r' --wd='/' -S 0 -G 0 -- 'node'`,
    );
  });
});
