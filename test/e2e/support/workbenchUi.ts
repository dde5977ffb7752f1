/**
 * What the end-to-end tests do with the workbench's page: photograph a screen state (after axe-core
 * finds no serious or critical violation in it), wait for something, choose a folder through the
 * folder browser, and copy the bundled sample into a data root.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { beforeEach, expect } from 'vitest';
import type { ServeProcess } from './serveProcess';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const sample = path.join(repo, 'resources', 'sample-fashion');
export const artifacts = path.join(repo, 'test-results', 'e2e');
const docsScreenshots = path.join(repo, 'docs', 'screenshots');

/** axe-core's source, run in the page (through the debugger protocol: the page's CSP allows no inline script). */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Every screen state a test photographs is also checked with axe-core: no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const { violations } = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as { violations: AxeViolation[] };
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(grave.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`), `axe on ${name}`).toEqual([]);
}

/** test-results/e2e/<name>.png (and docs/screenshots/ with E2E_SCREENSHOTS_TO_DOCS=1), after the axe check. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await mkdir(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.E2E_SCREENSHOTS_TO_DOCS === '1') {
    await mkdir(docsScreenshots, { recursive: true });
    await copyFile(file, path.join(docsScreenshots, `${name}.png`));
  }
}

/** Polls `check` until it holds; the error carries `context()` (the server's output, say). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000, context: () => string = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

/** Opens a PathPicker's folder browser and walks from the data root down `names`. */
export async function chooseFolder(page: Page, dataRoot: string, picker: string, names: string[]): Promise<void> {
  await page.locator(`[data-testid="${picker}-choose"]`).click();
  const browserDialog = page.locator('[data-testid="folder-browser"]');
  await browserDialog.waitFor();
  // The roots come first: the data root, then the engine's own folders.
  await browserDialog.locator(`[data-testid="browser-entry"][data-name="${dataRoot}"]`).click();
  for (const name of names) await browserDialog.locator(`[data-testid="browser-entry"][data-name="${name}"]`).click();
  await page.locator('[data-testid="browser-choose"]').click();
  await browserDialog.waitFor({ state: 'hidden' });
}

/** The bundled sample's train and test folders copied to `<dataRoot>/fashion`, so a test cannot touch the repository. */
export async function copySample(dataRoot: string): Promise<void> {
  for (const split of ['train', 'test']) {
    for (const cls of await readdir(path.join(sample, split))) {
      await mkdir(path.join(dataRoot, 'fashion', split, cls), { recursive: true });
      for (const file of await readdir(path.join(sample, split, cls))) await copyFile(path.join(sample, split, cls, file), path.join(dataRoot, 'fashion', split, cls, file));
    }
  }
}

/**
 * Ends a test file: closes the browser and the server (which must exit 0), keeps what the server said
 * beside the screenshots as `logName` for whoever reads a failed run, removes the temporary `folders`.
 */
export async function endSession(browser: Browser | undefined, serve: ServeProcess | undefined, logName: string, folders: string[]): Promise<void> {
  await browser?.close();
  const code = await serve?.stop();
  await mkdir(artifacts, { recursive: true });
  if (serve) await writeFile(path.join(artifacts, logName), serve.output());
  expect(code).toBe(0);
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
}

/** A failed test leaves a full-page screenshot, failed-<test name>.png. */
export function screenshotFailures(page: () => Page | undefined): void {
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      await page()?.screenshot({ path: path.join(artifacts, `failed-${task.name.replace(/\W+/g, '-')}.png`), fullPage: true });
    });
  });
}
