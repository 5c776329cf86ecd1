/**
 * Memory of the watched tab, measured from outside the page: JS heap after a forced full GC
 * (CDP on the page), DOM nodes and event listeners (CDP Performance metrics), and the resident
 * memory of the renderer processes of the watched tab's browser (CDP SystemInfo gives their
 * pids, /proc gives VmRSS). The watched tab runs alone in its browser so that those renderers
 * are its own.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, CDPSession, Page } from '@playwright/test';

export interface MemorySample {
  /** Used JS heap after a full GC, MB. */
  heapMb: number;
  nodes: number;
  listeners: number;
  /** Summed VmRSS of the browser's renderer processes, MB; null where /proc is not readable. */
  rssMb: number | null;
}

export interface MemoryProbe {
  sample(): Promise<MemorySample>;
}

const MB = 1024 * 1024;

async function vmRssKb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch (error) {
    // A renderer that exited between the process list and the read is left out; with no /proc
    // at all (not Linux) every read lands here and the caller reports "unknown".
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function rendererRssMb(browserSession: CDPSession): Promise<number | null> {
  const { processInfo } = (await browserSession.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const renderers = processInfo.filter((p) => p.type === 'renderer');
  const sizes = await Promise.all(renderers.map((p) => vmRssKb(p.id)));
  const known = sizes.filter((kb): kb is number => kb !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / 1024 : null;
}

export async function createMemoryProbe(browser: Browser, page: Page): Promise<MemoryProbe> {
  const pageSession = await page.context().newCDPSession(page);
  await pageSession.send('Performance.enable');
  const browserSession = await browser.newBrowserCDPSession();
  return {
    async sample() {
      await pageSession.send('HeapProfiler.collectGarbage');
      const { usedSize } = await pageSession.send('Runtime.getHeapUsage');
      const { metrics } = await pageSession.send('Performance.getMetrics');
      const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
      return { heapMb: usedSize / MB, nodes: metric('Nodes'), listeners: metric('JSEventListeners'), rssMb: await rendererRssMb(browserSession) };
    },
  };
}
