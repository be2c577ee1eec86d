/**
 * Debian's Chromium driven by playwright-core, for the dashboard viewer's e2e test and benchmark:
 * headless, as root without the sandbox, a fresh profile in a temp dir, no background network
 * traffic. A missing browser fails naming the Debian package (src/packages.ts).
 */
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { requireBinary } from '../../src/packages.ts';
import { tempDir } from './services.ts';

/** Chromium switches that keep it from calling home (updates, safe browsing, metrics, sync). */
const QUIET = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--metrics-recording-only',
  '--no-first-run',
  '--disable-features=Translate,OptimizationHints,MediaRouter',
];

export interface TestBrowser {
  browser: Browser;
  /** A page `width` × `height` whose console errors and uncaught exceptions are collected in `errors`. */
  page(width?: number, height?: number): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Launches Chromium (throws MissingBinaryError naming the `chromium` package when it is not installed). */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = requireBinary('chromium');
  const profile = tempDir('chromium-profile');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', ...QUIET],
  });
  const browser = context.browser() as Browser | null;
  return {
    browser: browser as Browser,
    async page(width = 1600, height = 1000) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      const errors: string[] = [];
      page.on('console', (msg: ConsoleMessage) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
      page.on('dialog', (dialog) => {
        errors.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return { page, errors };
    },
    async close() {
      await context.close();
      profile.remove();
    },
  };
}
