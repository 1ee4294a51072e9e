import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../src/fdx/timestamp.js';

describe('isoTimestamp', () => {
  it('formats exactly as Date#toISOString across eras, day boundaries and milliseconds', () => {
    const edges = [0, -1, 1, 999, 1000, 86_399_999, 86_400_000, -86_400_000, -86_400_001, 951_782_400_000, 4_102_444_799_999, -62_135_596_800_000, 253_402_300_799_999, 8.64e15, -8.64e15, 1_795_465_560_000.7];
    const random = Array.from({ length: 20_000 }, () => Math.round((Math.random() - 0.5) * 2 * 8.64e15) / (Math.random() < 0.5 ? 1 : 1e6));
    for (const ms of [...edges, ...random]) expect(isoTimestamp(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('refuses what Date refuses', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity, 8.64e15 + 1]) expect(() => isoTimestamp(bad)).toThrow(RangeError);
  });
});
