import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, which .ci/run installs. */
export const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);

/** For a browser suite's `skip`: skipped without chromium on a developer's machine, never in CI (it fails there). */
export const skipWithoutChromium: string | false =
  !present && process.env.CI !== 'true' ? `no ${CHROMIUM} (apt-get install chromium)` : false;

/** Chromium, headless; fails when it is missing (CI must install it). */
export function launchChromium(): Promise<Browser> {
  assert.ok(present, `${CHROMIUM} is missing: CI must install it (.ci/run)`);
  return chromium.launch({ executablePath: CHROMIUM });
}

/**
 * A page of `browser` whose console errors and warnings and page errors go to `problems`, and whose requests to an
 * origin other than `origin()` go to `foreign`, for a test to assert that there were none.
 */
export async function watchedPage(
  browser: Browser,
  origin: () => string,
  problems: string[],
  foreign: string[],
): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin()) foreign.push(r.url());
  });
  return page;
}
