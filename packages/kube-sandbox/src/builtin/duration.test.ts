import { describe, expect, it } from 'vitest';
import { ageSince, humanDuration, shortHumanDuration } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (kubectl AGE)', () => {
  it.each([
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [5 * m + 30 * s, '5m30s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 20 * m, '3h20m'],
    [8 * h + 20 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 3 * h, '2d3h'],
    [3 * d, '3d'],
    [8 * d + 5 * h, '8d'],
    [400 * d, '400d'],
    [2 * 365 * d + 20 * d, '2y20d'],
    [3 * 365 * d, '3y'],
    [9 * 365 * d, '9y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('shortHumanDuration', () => {
  it.each([
    [30 * s, '30s'],
    [90 * s, '1m'],
    [5 * h + 59 * m, '5h'],
    [30 * d, '30d'],
    [800 * d, '2y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(shortHumanDuration(ms)).toBe(text);
  });
});

describe('ageSince', () => {
  it('formats a creationTimestamp relative to now', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    expect(ageSince('2024-05-01T11:55:00Z', now)).toBe('5m');
    expect(ageSince('2024-04-29T09:00:00Z', now)).toBe('2d3h');
    expect(ageSince(undefined, now)).toBe('<unknown>');
    expect(ageSince('garbage', now)).toBe('<unknown>');
  });
});
