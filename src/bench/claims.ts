import { judge, type Metric, type Spread, type Verdict } from './judge.js';

/** One side of a comparison: a configuration (by key) or a fixed threshold (no key). */
export interface Side {
  key?: string | undefined;
  label: string;
  spread: Spread;
}

/** A difference judged by `judge`: `verdict` is how `a` stands against `b` on `metric`. */
export interface Comparison {
  metric: Metric;
  a: Side;
  b: Side;
  verdict: Verdict;
}

/**
 * A piece of an explanation sentence. Plain text states figures and never a difference; a comparison is
 * rendered from its verdict; a group renders the comparisons of one configuration against several that share
 * a verdict; a conditional text is said only because the comparisons it names came out as it needs (its
 * words may then claim what those verdicts say, and no more).
 */
export type Part =
  | string
  | { cmp: Comparison }
  | { group: Comparison[]; verdict: Verdict }
  | { text: string; given: [Comparison, ...Verdict[]][] };

export interface Sentence {
  kind: string;
  parts: Part[];
}

export function compare(metric: Metric, a: Side, b: Side): Comparison {
  return { metric, a, b, verdict: judge(a.spread, b.spread) };
}

/** `text` when every comparison named came out as one of the verdicts given with it; otherwise nothing. */
export function when(text: string, ...given: [Comparison, ...Verdict[]][]): Part[] {
  return given.every(([c, ...vs]) => vs.includes(c.verdict)) ? [{ text, given }] : [];
}

const sec = (ms: number, digits = 2) => (ms / 1000).toFixed(digits);

/** A spread as the reader sees it: `1.41-1.62 s`, or one figure when there was one run. */
export function showSpread(sp: Spread, m: Metric, digits = 2): string {
  const f =
    m === 'wall' || m === 'cpu' ? (x: number) => sec(x, digits) : (x: number) => String(Math.round(x * 100));
  const unit = m === 'wall' || m === 'cpu' ? 's' : '%';
  const lo = f(sp.min);
  const hi = f(sp.max);
  return sp.n === 1 || lo === hi ? `${lo} ${unit}` : `${lo}-${hi} ${unit}`;
}

/**
 * Both ranges, with as many decimals as a claimed difference needs to be seen: the edges that do not overlap
 * (0.475 against 0.468 s) must not print alike (0.47 against 0.47).
 */
function ranges(c: Comparison): string {
  const [lo, hi] =
    c.verdict === 'lower' ? [c.a.spread.max, c.b.spread.min] : [c.b.spread.max, c.a.spread.min];
  let d = 2;
  const timed = c.metric === 'wall' || c.metric === 'cpu';
  while (timed && (c.verdict === 'lower' || c.verdict === 'higher') && d < 6 && sec(lo, d) === sec(hi, d))
    d++;
  return `${showSpread(c.a.spread, c.metric, d)} against ${showSpread(c.b.spread, c.metric, d)}`;
}

/** The words of each verdict; a comparison says nothing else. */
function renderCmp(c: Comparison): string {
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}x`;
  const { a, b } = c;
  const time = c.metric === 'wall';
  switch (c.verdict) {
    case 'lower':
      return time
        ? `${ratio(b.spread.median, a.spread.median)} faster (${ranges(c)}, beyond noise)`
        : c.metric === 'cpu'
          ? `${sec(b.spread.median - a.spread.median)} s less CPU (${ranges(c)}, beyond noise)`
          : `lower beyond noise (${ranges(c)})`;
    case 'higher':
      return time
        ? `${ratio(a.spread.median, b.spread.median)} slower (${ranges(c)}, beyond noise)`
        : c.metric === 'cpu'
          ? `${sec(a.spread.median - b.spread.median)} s more CPU (${ranges(c)}, beyond noise)`
          : `higher beyond noise (${ranges(c)})`;
    case 'noise':
      return `${c.metric === 'cpu' ? 'CPU ' : ''}within noise (${ranges(c)})`;
    case 'few-runs':
      return 'not compared (too few runs)';
  }
}

function renderGroup(cs: Comparison[], v: Verdict): string {
  // Three decimals, as the table's wall column: a list has no room to adapt them pair by pair.
  const others = cs.map((c) => `${c.b.label} (${showSpread(c.b.spread, c.metric, 3)})`).join(', ');
  if (v === 'lower') return `faster beyond noise than ${others}`;
  if (v === 'higher') return `slower beyond noise than ${others}`;
  if (v === 'noise') return `within noise of ${others}`;
  return `not compared with ${others}, too few runs`;
}

export function renderPart(p: Part): string {
  if (typeof p === 'string') return p;
  if ('cmp' in p) return renderCmp(p.cmp);
  if ('group' in p) return renderGroup(p.group, p.verdict);
  return p.text;
}

export function render(s: Sentence): string {
  return s.parts.map(renderPart).join('');
}
