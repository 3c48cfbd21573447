import textWidth from '../text-width.js';

/**
 * One line of the progress display, as parts in the order shown. Each part has a rank (0 is kept whatever the
 * width; higher ranks go first when the line does not fit), and its own gap before it, which goes with it.
 */
export type Part =
  | { kind: 'text'; text: string; rank: number; gap?: string }
  /** A file name: shortened from the left (`…` and its end, where the distinct part usually is) before it goes. */
  | { kind: 'name'; text: string; rank: number; min: number; gap?: string }
  /** The bar itself: between `min` and `max` cells, as wide as the room left allows. */
  | { kind: 'bar'; ratio: number; rank: number; min: number; max: number; gap?: string };

const FULL = '█';
const EMPTY = '░';

/**
 * The parts that fit in `columns - 1` cells (the last column is left free: a terminal that wraps there would break
 * the bars' in-place redraw), laid out: the least important parts dropped first, then the name shortened to fit,
 * then the room left given to the name and the bar.
 */
export function fitLine(parts: readonly Part[], columns: number): string {
  const room = Math.max(1, columns - 1);
  let kept = [...parts];
  const need = (ps: readonly Part[]) =>
    ps.reduce((n, p, i) => n + (i === 0 ? 0 : textWidth(p.gap ?? ' ')) + minWidth(p), 0);
  while (need(kept) > room) {
    const worst = kept.reduce<Part | undefined>(
      (w, p) => (p.rank > 0 && p.rank >= (w?.rank ?? 0) ? p : w),
      undefined,
    );
    if (!worst) break;
    kept = kept.filter((p) => p !== worst);
  }
  let spare = room - need(kept);
  const widths = kept.map((p) => minWidth(p));
  // The room left goes to the name first (up to its whole length), then to the bar (up to its max).
  for (const kind of ['name', 'bar'] as const) {
    kept.forEach((p, k) => {
      if (p.kind !== kind) return;
      const whole = p.kind === 'name' ? textWidth(p.text) : p.kind === 'bar' ? p.max : 0;
      const more = Math.max(0, Math.min(spare, whole - widths[k]!));
      widths[k]! += more;
      spare -= more;
    });
  }
  const line = kept.map((p, i) => `${i === 0 ? '' : (p.gap ?? ' ')}${render(p, widths[i]!)}`).join('');
  // Only rank-0 parts left and still too wide (a terminal a few cells wide): cut, never wrap.
  return textWidth(line) > room ? cutEnd(line, room) : line;
}

function minWidth(p: Part): number {
  if (p.kind === 'bar') return p.min;
  if (p.kind === 'name') return Math.min(p.min, textWidth(p.text));
  return textWidth(p.text);
}

function render(p: Part, width: number): string {
  if (p.kind === 'text') return p.text;
  if (p.kind === 'name') {
    const name = shorten(p.text, width);
    return name + ' '.repeat(Math.max(0, width - textWidth(name)));
  }
  const full = Math.round(Math.min(1, Math.max(0, p.ratio)) * width);
  return FULL.repeat(full) + EMPTY.repeat(width - full);
}

/** `…` and the end of `text`, `width` cells in all (the whole text when it fits). */
export function shorten(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  const chars = [...text];
  let tail = '';
  for (let i = chars.length - 1; i >= 0 && textWidth(chars[i]! + tail) <= width - 1; i--)
    tail = chars[i]! + tail;
  return `…${tail}`;
}

function cutEnd(text: string, width: number): string {
  let out = '';
  for (const ch of text) {
    if (textWidth(out + ch) > width) break;
    out += ch;
  }
  return out;
}

/** `ETA 7s`, `ETA 2m05s`, `ETA 1h02m`: seconds left, rounded up. */
export function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `ETA ${s}s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `ETA ${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
