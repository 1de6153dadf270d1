import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

/** Debian's chromium (installed by `.ci/run`); nothing is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RenderedChart {
  id: string;
  expectedSeries: number;
  expectedPoints: number;
  renderedSeries: number | null;
  renderedPoints: number | null;
  canvases: number;
}

export interface PageCheck {
  /** Console errors and uncaught exceptions, as the page reported them. */
  errors: string[];
  /** Every request other than the page itself (a self-contained page makes none). */
  requests: string[];
  charts: RenderedChart[];
  /** `document.body.dataset.chartsRendered`: set once the chart script ran to its end. */
  chartsRendered: number | null;
  text: string;
}

/**
 * Opens an HTML file in headless Chromium with the network cut off (every request but the file
 * itself is recorded and aborted), reads what each chart drew from the DOM, and writes a
 * full-page screenshot.
 */
export async function checkPage(
  file: string,
  screenshot: string,
  viewport = { width: 1200, height: 900 },
): Promise<PageCheck> {
  const url = pathToFileURL(file).href;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // root in CI containers: chromium refuses its sandbox there
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport(viewport);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (r.url() === url) void r.continue();
      else {
        requests.push(r.url());
        void r.abort();
      }
    });
    await page.goto(url, { waitUntil: 'load' });
    const result = await page.evaluate(() => {
      // The project compiles without the DOM library; the few DOM members used here, typed.
      interface El {
        dataset: Record<string, string | undefined>;
        innerText: string;
        querySelectorAll(s: string): ArrayLike<El>;
      }
      const document = (globalThis as unknown as { document: { body: El } & El }).document;
      const charts = Array.from(document.querySelectorAll('[data-chart]')).map((el) => ({
        id: el.dataset.chart ?? '',
        expectedSeries: Number(el.dataset.expectedSeries),
        expectedPoints: Number(el.dataset.expectedPoints),
        renderedSeries: el.dataset.renderedSeries === undefined ? null : Number(el.dataset.renderedSeries),
        renderedPoints: el.dataset.renderedPoints === undefined ? null : Number(el.dataset.renderedPoints),
        canvases: el.querySelectorAll('canvas').length,
      }));
      const rendered = document.body.dataset.chartsRendered;
      return {
        charts,
        chartsRendered: rendered === undefined ? null : Number(rendered),
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, without the inlined scripts
        text: document.body.innerText,
      };
    });
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
    return { errors, requests, ...result };
  } finally {
    await browser.close();
  }
}
