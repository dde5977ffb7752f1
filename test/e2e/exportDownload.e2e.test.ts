/**
 * Export that lands where the user is, in real Chromium against `resnet-workbench serve`: a short run
 * on the bundled sample, exported as ONNX and TensorFlow.js into the workbench's exports folder with
 * no server path to pick, then downloaded to "this computer" (the browser's downloads): the ONNX file
 * loads in ONNX Runtime, its card is Markdown, the tfjs zip holds model.json. An export into the
 * run's train folder is refused with nothing written; an existing file is kept until the replace
 * question is answered. Screen states photographed at 1366x768 and 1024x640, each checked with axe.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { InferenceSession } from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium';
import { startServe, type ServeProcess } from './support/serveProcess';
import { endSession, screenshotFailures, chooseFolder, copySample, screenshot, waitFor } from './support/workbenchUi';

const TOKEN = 'e2e-export-token-0123456789abcdefghijklmn';

let appData: string;
let dataRoot: string;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
/** resnet18-fashion-<the run's date>. */
let baseName = '';

const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
const serveLog = () => `--- serve output ---\n${serve.output().slice(-4000)}`;

/** The same screen state at both window sizes the UI is judged at. */
async function photograph(name: string): Promise<void> {
  for (const [width, height] of [
    [1366, 768],
    [1024, 640],
  ] as const) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `${name}-${width}x${height}`);
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function exportAndWait(formats: string[]): Promise<void> {
  await byTestId('export-run').click();
  for (const format of formats) {
    await page.locator(`[data-testid="export-result"][data-format="${format}"]:is([data-state="done"], [data-state="failed"])`).waitFor({ timeout: 120_000 });
  }
}

const result = (format: string) => page.locator(`[data-testid="export-result"][data-format="${format}"]`);

/** Clicks a download link and returns the file the browser received and the name it suggested. */
async function download(link: ReturnType<typeof byTestId>): Promise<{ name: string; bytes: Buffer }> {
  const [received] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = path.join(appData, 'browser-downloads', received.suggestedFilename());
  await received.saveAs(file);
  expect(await received.failure()).toBeNull();
  return { name: received.suggestedFilename(), bytes: await readFile(file) };
}

beforeAll(async () => {
  appData = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-export-app-'));
  dataRoot = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-export-data-'));
  await copySample(dataRoot);
  serve = await startServe({ dataRoots: [dataRoot], appData, token: TOKEN });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  page = await context.newPage();
});

afterAll(async () => {
  await endSession(browser, serve, 'serve-export.log', [appData, dataRoot]);
});

screenshotFailures(() => page);

describe('export from the browser, downloaded to this computer', () => {
  it('trains a short run on the sample', async () => {
    await page.goto(serve.url);
    await byTestId('engine-badge').waitFor();
    await byTestId('nav-data').click();
    await chooseFolder(page, dataRoot, 'train-dir', ['fashion']);
    await byTestId('scan').click();
    await byTestId('use-split-folders').click({ timeout: 60_000 });
    await byTestId('scan-ready').waitFor({ timeout: 60_000 });
    await byTestId('nav-train').click();
    await byTestId('weights-none').check();
    await byTestId('field-epochs').fill('3');
    await byTestId('field-imageSize').fill('32');
    await byTestId('start-run').click();
    await byTestId('run-header').waitFor();
    await waitFor('the run to finish', async () => ((await byTestId('run-status').getAttribute('class')) ?? '').includes('finished'), 240_000, serveLog);
    const runId = /(\d{4})(\d{2})(\d{2})-\d{6}-resnet18-[0-9a-f]{6}/.exec((await byTestId('run-header').textContent()) ?? '');
    expect(runId).not.toBeNull();
    baseName = `resnet18-fashion-${runId![1]}-${runId![2]}-${runId![3]}`;
  });

  it('proposes a short name and the exports folder, with no server path to pick', async () => {
    await byTestId('nav-export').click();
    await byTestId('export-name').waitFor();
    expect(await byTestId('export-name').inputValue()).toBe(baseName);
    expect(await byTestId('export-to-exports').isChecked()).toBe(true);
    expect(await byTestId('export-folder-input').count()).toBe(0);
    await byTestId('export-format-tfjs').check();
    const text = (await page.locator('.export-view').textContent()) ?? '';
    expect(text).toContain('Download to this computer');
    expect(text).toContain('Replace the existing files?');
    expect(text).not.toMatch(/--force|Overwrite/);
    await photograph('export-ready');
  });

  it('exports ONNX and tfjs and downloads them, with the card, to this computer', async () => {
    await exportAndWait(['tfjs', 'onnx']);
    for (const format of ['tfjs', 'onnx']) expect(await result(format).getAttribute('data-state'), (await result(format).textContent()) ?? '').toBe('done');
    await photograph('export-downloads');

    const onnx = await download(result('onnx').locator('[data-testid="export-download"]'));
    expect(onnx.name).toBe(`${baseName}.onnx`);
    // The bytes the engine wrote, and a model ONNX Runtime loads.
    expect(onnx.bytes.equals(await readFile(path.join(appData, 'exports', `${baseName}.onnx`)))).toBe(true);
    const session = await InferenceSession.create(new Uint8Array(onnx.bytes));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
    await session.release();

    const card = await download(result('onnx').locator('[data-testid="export-download-card"]'));
    expect(card.name).toBe(`${baseName}.onnx.md`);
    expect(card.bytes.toString('utf8')).toMatch(/^# /);

    const tfjs = await download(result('tfjs').locator('[data-testid="export-download"]'));
    expect(tfjs.name).toBe(`${baseName}-tfjs.zip`);
    const files = unzipSync(new Uint8Array(tfjs.bytes));
    expect(Object.keys(files)).toContain(`${baseName}-tfjs/model.json`);
    expect(Object.keys(files)).toContain(`${baseName}-tfjs/README.md`);
    const modelJson = JSON.parse(Buffer.from(files[`${baseName}-tfjs/model.json`]!).toString('utf8')) as { weightsManifest: { paths: string[] }[] };
    for (const shard of modelJson.weightsManifest.flatMap((group) => group.paths)) expect(files[`${baseName}-tfjs/${shard}`]?.length).toBeGreaterThan(0);
  });

  it('keeps an existing file until the replace question is answered', async () => {
    await byTestId('export-format-tfjs').uncheck();
    await exportAndWait(['onnx']);
    expect(await result('onnx').getAttribute('data-state')).toBe('failed');
    expect(await result('onnx').textContent()).toContain('Tick “Replace the existing file?” and export again');
    await photograph('export-exists');
    await byTestId('export-force').check();
    await exportAndWait(['onnx']);
    expect(await result('onnx').getAttribute('data-state')).toBe('done');
  });

  it('refuses to save inside the run’s train folder, writing nothing there', async () => {
    const train = path.join(dataRoot, 'fashion', 'train');
    const before = await readdir(train);
    await byTestId('export-to-folder').check();
    await chooseFolder(page, dataRoot, 'export-folder', ['fashion', 'train']);
    await exportAndWait(['onnx']);
    expect(await result('onnx').getAttribute('data-state')).toBe('failed');
    expect(await result('onnx').textContent()).toMatch(/Not saved\s*'.* is inside .* the folder of the training images of run .* Choose a folder outside it/);
    expect(await readdir(train)).toEqual(before);
    await photograph('export-refused');
  });

  it('makes a new folder in the folder browser and exports there', async () => {
    await byTestId('export-folder-choose').click();
    await byTestId('folder-browser').waitFor();
    await byTestId('browser-location').fill(dataRoot);
    await byTestId('browser-location').press('Enter');
    await expect.poll(() => byTestId('browser-entry').first().getAttribute('data-name')).toBe('fashion');
    await byTestId('browser-new-folder').click();
    await byTestId('browser-new-folder-name').fill('models');
    await photograph('export-new-folder');
    await byTestId('browser-new-folder-create').click();
    await expect.poll(() => byTestId('browser-location').inputValue()).toBe(path.join(dataRoot, 'models'));
    await byTestId('browser-choose').click();
    await byTestId('folder-browser').waitFor({ state: 'hidden' });
    await exportAndWait(['onnx']);
    expect(await result('onnx').getAttribute('data-state'), (await result('onnx').textContent()) ?? '').toBe('done');
    expect(await readdir(path.join(dataRoot, 'models'))).toEqual([`${baseName}.onnx`, `${baseName}.onnx.md`]);
  });
});
