import { describe, expect, it } from 'vitest';
import { HELP, parseOptions } from './main.ts';

describe('parseOptions', () => {
  it('reads flags over environment variables', () => {
    const o = parseOptions(
      ['--namespaces', 'a, b', '--metrics-port', '9090', '--leader-elect=false'],
      {
        LOG_LEVEL: 'debug',
        REDIS_URL: 'redis://redis:6379',
        WATCH_NAMESPACES: 'ignored',
      },
    );
    expect(o).toMatchObject({
      namespaces: { kind: 'list', namespaces: ['a', 'b'] },
      metricsPort: 9090,
      healthPort: 9090,
      leaderElection: false,
      logLevel: 'debug',
      redisUrl: 'redis://redis:6379',
    });
  });

  it('defaults to all namespaces with leader election', () => {
    expect(parseOptions([], {})).toMatchObject({
      namespaces: { kind: 'all' },
      leaderElection: true,
      leaderElectionId: 'etcd-operator',
      metricsPort: 8080,
      failpoints: '',
    });
  });

  it('rejects bad values with the flag name', () => {
    expect(() => parseOptions(['--metrics-port', 'x'], {})).toThrow('--metrics-port');
    expect(() => parseOptions(['--log-level', 'loud'], {})).toThrow('--log-level');
    expect(() => parseOptions(['--redis-url', 'http://x'], {})).toThrow('--redis-url');
    expect(() => parseOptions([], { OPSMITH_FAILPOINTS: 'nope' })).toThrow('unknown failpoint');
    expect(() => parseOptions(['--bogus'], {})).toThrow();
  });

  it('documents every flag in --help', () => {
    expect(parseOptions(['--help'], {})).toBe('help');
    for (const flag of [
      '--namespaces',
      '--leader-elect',
      '--metrics-port',
      '--health-port',
      '--log-level',
      '--redis-url',
    ])
      expect(HELP).toContain(flag);
  });
});
