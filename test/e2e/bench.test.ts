import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/types.js';
import { tmpDir } from '../helpers/tmp.js';
import { type CliRun, runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);

const run = (args: string[]) => runCli(args);

/** Decodes a PNG's pixel rows (zlib of the IDAT chunks) and counts the distinct byte values in them. */
function distinctPixelBytes(png: Buffer): number {
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length;) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  return new Set(zlib.inflateSync(Buffer.concat(idat))).size;
}

/**
 * The demo bench (one workload, six configurations, JSON and HTML), run once for the tests that read it, by
 * whichever of them runs first: no test depends on another having run, in any order or alone.
 */
let demo: Promise<{ r: CliRun; json: string; html: string }> | undefined;
function demoBench(): Promise<{ r: CliRun; json: string; html: string }> {
  demo ??= (async () => {
    const dir = await tmpDir();
    const json = path.join(dir, 'bench.json');
    const html = path.join(dir, 'bench.html');
    const r = await run([
      'bench',
      '--demo',
      '--workloads',
      'many-small',
      '--runs',
      '1',
      '-j',
      '1,8',
      '-w',
      '1',
      '--hash-pool',
      'none,inline,threads',
      '--json',
      json,
      '--html',
      html,
    ]);
    return { r, json, html };
  })();
  return demo;
}

describe('dlpool bench (CLI)', () => {
  it('runs the built-in demo workload, prints table, chart and advice, writes JSON and HTML', async () => {
    const { r, json } = await demoBench();
    expect(r.stderr).not.toMatch(/FAILED|internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/== many-small/);
    expect(r.stdout).toMatch(/█/);
    // One run measures no noise: the report says so and recommends nothing.
    expect(r.stdout).toMatch(/With 1 verified run\(s\) of a configuration no difference below is claimed/);
    expect(r.stdout).toMatch(/nothing recommended: 1 run\(s\) per configuration cannot tell a difference/);
    expect(r.stdout).not.toMatch(/recommended for this list|faster|slower|did not help|no more CPU/);
    expect(r.stdout).toMatch(/wall s\s+min-max/);
    const report = JSON.parse(await fsp.readFile(json, 'utf8')) as BenchReport;
    expect(report.workloads.map((w) => w.name)).toEqual(['many-small']);
    expect(report.workloads[0]!.configs.length).toBe(6);
    expect(report.workloads[0]!.configs.every((c) => c.ok)).toBe(true);
    // Six configurations of 600 files, each in its own process: ~10 s on a quiet machine, more in the full suite.
  }, 90_000);

  it('announces the time left from its first round, measured', async () => {
    const r = await run([
      'bench',
      '--demo',
      '--workloads',
      'many-small',
      '--modes',
      'async',
      '-j',
      '4',
      '--hash-pool',
      'none',
      '--runs',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^dlpool bench: many-small: 1 configurations x 2 runs$/m);
    expect(r.stderr).toMatch(
      /^dlpool bench: many-small: the first round took \d+ s; about \d+ s to go for the other 1$/m,
    );
  }, 90_000);

  it('rejects bad axes with the flag name', async () => {
    const r = await run(['bench', '--demo', '--modes', 'fibers']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dlpool: --modes: expected async or threads, got 'fibers'/);
    const w = await run(['bench', '--demo', '--workloads', 'many-small,huge']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(
      /^dlpool: --workloads: unknown 'huge' \(try many-small, few-large, latency, capped\)/,
    );
  });

  it.skipIf(!HAVE_CHROMIUM)(
    `the HTML report renders its charts in headless Chromium without console errors${HAVE_CHROMIUM ? '' : ` (SKIPPED: ${CHROMIUM} is not installed; .ci/run installs Debian's chromium)`}`,
    async () => {
      const { r, html } = await demoBench();
      expect(r.code, r.stderr).toBe(0);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        // Nothing may be fetched: the page must be self-contained.
        const requests: string[] = [];
        page.on('request', (req) => {
          if (!req.url().startsWith('file:')) requests.push(req.url());
        });
        await page.goto(`file://${html}`);
        expect(await page.locator('svg').count()).toBe(3);
        expect(await page.locator('svg rect').count()).toBeGreaterThan(10);
        const widths = await page
          .locator('svg rect')
          .evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
        expect(Math.max(...widths)).toBeGreaterThan(100);
        const png = await page.screenshot({ fullPage: true });
        expect(distinctPixelBytes(png)).toBeGreaterThan(20);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    // The demo bench when this test runs first (up to 90 s loaded), then Chromium.
    120_000,
  );
});
