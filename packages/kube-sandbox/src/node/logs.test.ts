import { describe, expect, it } from 'vitest';
import { parseCriLine, selectLogLines } from './logs.ts';

const content = [
  '2026-01-01T00:00:00.000000000Z stdout F first',
  '2026-01-01T00:00:10.000000000Z stderr F second',
  '2026-01-01T00:00:20.000000000Z stdout P part',
  '2026-01-01T00:00:30.000000000Z stdout F third',
  '',
].join('\n');

describe('container logs', () => {
  it('parses CRI lines', () => {
    expect(parseCriLine('2026-01-01T00:00:00Z stdout F hi there')).toEqual({
      time: '2026-01-01T00:00:00Z',
      text: 'hi there',
      partial: false,
    });
    expect(parseCriLine('garbage')).toBeUndefined();
  });

  it('selects by tail, since, timestamps and limitBytes', () => {
    expect(selectLogLines(content, {})).toBe('first\nsecond\npartthird\n');
    expect(selectLogLines(content, { tailLines: 1 })).toBe('third\n');
    expect(selectLogLines(content, { tailLines: 0 })).toBe('');
    expect(selectLogLines(content, { sinceSeconds: 15 }, Date.parse('2026-01-01T00:00:30Z'))).toBe(
      'partthird\n',
    );
    expect(selectLogLines(content, { tailLines: 1, timestamps: true })).toBe(
      '2026-01-01T00:00:30.000000000Z third\n',
    );
    expect(selectLogLines(content, { limitBytes: 3 })).toBe('fir');
  });
});
