import { describe, expect, it } from 'vitest';
import { Failpoints, parseFailpoints, type Failpoint } from './failpoints.ts';

class Triggered extends Error {}

describe('failpoints', () => {
  const recorder = (): [Failpoint[], (n: Failpoint) => never] => {
    const hits: Failpoint[] = [];
    return [
      hits,
      (n) => {
        hits.push(n);
        throw new Triggered(n);
      },
    ];
  };

  it('are inert when not configured', () => {
    const [hits, on] = recorder();
    const f = new Failpoints(parseFailpoints(undefined), on);
    expect(f.enabled).toBe(false);
    f.hit('afterMemberAdd');
    expect(hits).toEqual([]);
    expect(Failpoints.fromEnv({}).enabled).toBe(false);
  });

  it('trigger on the configured hit', () => {
    const [hits, on] = recorder();
    const f = new Failpoints(parseFailpoints('afterMemberAdd, afterMemberRemove:2'), on);
    expect(() => f.hit('afterMemberAdd')).toThrow(Triggered);
    f.hit('afterMemberRemove');
    expect(() => f.hit('afterMemberRemove')).toThrow(Triggered);
    f.hit('afterMemberRemove');
    f.hit('afterPromote');
    expect(hits).toEqual(['afterMemberAdd', 'afterMemberRemove']);
  });

  it('reject unknown names and bad counts', () => {
    expect(() => parseFailpoints('afterNothing')).toThrow(/unknown failpoint/);
    expect(() => parseFailpoints('afterMemberAdd:0')).toThrow(/>= 1/);
  });
});
