import { describe, expect, it } from 'vitest';
import { fitLine, formatEta, type Part, shorten } from '../../../src/cli/render/bar-layout.js';
import textWidth from '../../../src/cli/text-width.js';

const file = (name: string): Part[] => [
  { kind: 'bar', ratio: 0.5, rank: 3, min: 6, max: 24 },
  { kind: 'name', text: name, rank: 0, min: 16 },
  { kind: 'text', text: '740.0 KiB / 2.00 MiB', rank: 1 },
  { kind: 'text', text: 'ETA 7s', rank: 2 },
];

describe('fitLine: a progress line for the terminal width', () => {
  it('all of it when there is room: the name whole, the bar at its widest', () => {
    expect(fitLine(file('a.iso'), 120)).toBe(
      `${'█'.repeat(12)}${'░'.repeat(12)} a.iso 740.0 KiB / 2.00 MiB ETA 7s`,
    );
  });

  it('narrower: the name is shortened from the left first, then the bar, ETA and bytes go, in that order', () => {
    const name = 'some-rather-long-file-name-number-1.iso';
    const at = (w: number) => fitLine(file(name), w);
    // 59 cells: the bar at its narrowest, the name given what is left.
    expect(at(60)).toMatch(/^█{3}░{3} …[\w-]+-1\.iso 740\.0 KiB \/ 2\.00 MiB ETA 7s$/);
    expect(at(60)).toHaveLength(59);
    expect(at(50)).toMatch(/^…[\w-]+-1\.iso 740\.0 KiB \/ 2\.00 MiB ETA 7s$/);
    expect(at(50)).toHaveLength(49);
    expect(at(44)).toMatch(/^…[\w-]+-1\.iso 740\.0 KiB \/ 2\.00 MiB$/);
    expect(at(30)).toMatch(/^…[\w-]+-1\.iso$/);
    expect(at(30)).toHaveLength(29);
  });

  it('never wider than the terminal less one column, whatever the width, names with wide characters too', () => {
    for (const name of [
      'x',
      'some-rather-long-file-name-number-1.iso',
      '写真-とても長い名前のファイル-2026.jpg',
    ]) {
      for (let w = 1; w <= 140; w++) {
        const line = fitLine(file(name), w);
        expect(textWidth(line), `${name} at ${w}`).toBeLessThanOrEqual(Math.max(1, w - 1));
      }
    }
  });

  it('shortens by cells, keeping the end of the name', () => {
    expect(shorten('abcdef', 6)).toBe('abcdef');
    expect(shorten('abcdef', 4)).toBe('…def');
    expect(textWidth(shorten('写真写真写真.jpg', 7))).toBeLessThanOrEqual(7);
  });

  it('says an ETA in seconds, minutes or hours, rounded up', () => {
    expect(formatEta(6.2)).toBe('ETA 7s');
    expect(formatEta(125)).toBe('ETA 2m05s');
    expect(formatEta(3720)).toBe('ETA 1h02m');
  });
});
