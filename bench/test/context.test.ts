import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_VARIANTS, heapLabel, heapVariantsFrom } from '../lib/context.js';

describe('BENCH_HEAP: the heap variants the footprint loads run under', () => {
  it('compares V8 default sizing with capped heaps unless told otherwise', () => {
    const variants = heapVariantsFrom(undefined);
    expect(variants).toEqual(heapVariantsFrom(DEFAULT_HEAP_VARIANTS));
    expect(variants.map(heapLabel)).toEqual([
      'V8 default',
      '--max-old-space-size=256',
      '--max-old-space-size=256 --max-semi-space-size=8',
    ]);
  });

  it('reads variants separated by ";" and flags by spaces, an empty variant meaning the default', () => {
    expect(heapVariantsFrom(' --max-old-space-size=192   --max-semi-space-size=8 ; ')).toEqual([
      ['--max-old-space-size=192', '--max-semi-space-size=8'],
      [],
    ]);
  });

  it('refuses anything but heap-size flags, so the variant cannot smuggle other node options', () => {
    expect(() => heapVariantsFrom('--require=./evil.js')).toThrow(/BENCH_HEAP: "--require=.\/evil.js" is not a heap-size flag/);
    expect(() => heapVariantsFrom('--max-old-space-size=0')).toThrow(/not a heap-size flag/);
    expect(() => heapVariantsFrom('--max-old-space-size=256,--max-semi-space-size=8')).toThrow(/separated by ";"/);
    expect(() => heapVariantsFrom(';--max-old-space-size=256;')).toThrow(/listed twice/);
  });
});
