/**
 * What the room benchmarks share: one Chromium, members in separate browser contexts (so peers
 * meet over the relay and WebRTC, never BroadcastChannel), each in a page of the relay's
 * origin with one page-side fixture from tests/e2e/fixtures loaded.
 */
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type Page } from '@playwright/test';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';

export type Fixture = 'room-client' | 'stock-ywebrtc' | 'big-history';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    // Debian's Chromium, as in the e2e tests (DESIGN.md §2).
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh context with one page on `origin` (any page of it will do: the fixture brings
 * everything), with the fixture loaded.
 */
export async function openMemberPage(browser: Browser, origin: string, fixture: Fixture): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}/healthz`);
  await page.addScriptTag({ content: await bundleFixture(fixture) });
  return page;
}

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One line on what the numbers were measured on; other load skews them. */
export function describeMachine(browser: Browser): string {
  return `machine: ${cpus().length} CPUs, load average ${loadAverage()}, Node ${process.version}, Chromium ${browser.version()}`;
}

/** Printed at the end too: a run the machine was busy with something else during is suspect. */
export const describeLoadAtEnd = (): string => `load average at the end: ${loadAverage()} (1, 5, 15 min)`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
