/**
 * The whole workflow in real Chromium against the real engine: `resnet-workbench serve` on the
 * bundled Fashion-MNIST sample, the built UI, a user's clicks. Choose the data through the folder
 * browser, read the scan report, train a short ResNet-18 run and watch it, open a confusion-matrix
 * cell, cancel a run, reload mid-run and catch up, export ONNX, try images, compare runs.
 *
 * Screenshots go to test-results/e2e/ (CI artifacts); with E2E_SCREENSHOTS_TO_DOCS=1 also to
 * docs/screenshots/ for the README.
 */
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeTorchZip } from '../../src-main/node/weights/torchPth';
import { formulaStateDict } from '../support/formulaWeights';
import { unusedLocalPort } from '../support/httpFixtureServer';
import { launchChromium } from './support/chromium';
import { startServe, type ServeProcess } from './support/serveProcess';
import { artifacts, endSession, screenshotFailures, chooseFolder as chooseFolderIn, copySample, sample, screenshot as takeScreenshot, waitFor as waitUntil } from './support/workbenchUi';

const TOKEN = 'e2e-token-0123456789abcdefghijklmnopqrstuv';

let appData: string;
let dataRoot: string;
let serve: ServeProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The run that trains to its end; later tests export and try it. */
let finishedRunId = '';

/** Runs in the page: records each distinct point count the epoch-accuracy chart shows, in order. */
const EPOCH_POINTS_RECORDER = `(() => {
  const shown = (window.__epochPointsShown = []);
  const record = () => {
    const chart = document.querySelector('[data-testid="chart-epoch-accuracy"]');
    const holder = chart && (chart.hasAttribute('data-points') ? chart : chart.querySelector('[data-points]'));
    const count = holder ? Number(holder.getAttribute('data-points')) : 0;
    if (shown[shown.length - 1] !== count) shown.push(count);
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-points'] });
})()`;

/** The run id a run header shows. */
function runIdIn(text: string | null): string | undefined {
  return /\d{8}-\d{6}-resnet18-[0-9a-f]{6}/.exec(text ?? '')?.[0];
}

async function screenshot(name: string): Promise<void> {
  await takeScreenshot(page, name);
}

const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);

/** The number of points a chart has received (MetricsChart's data-points). */
async function chartPoints(id: string): Promise<number> {
  const chart = byTestId(id);
  if ((await chart.count()) === 0) return 0;
  const own = await chart.getAttribute('data-points');
  if (own !== null) return Number(own);
  const inner = chart.locator('[data-points]').first();
  return (await inner.count()) > 0 ? Number(await inner.getAttribute('data-points')) : 0;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  await waitUntil(what, check, timeoutMs, () => `--- serve output ---\n${serve.output().slice(-4000)}`);
}

async function goTo(view: string): Promise<void> {
  await byTestId(`nav-${view}`).click();
}

async function chooseFolder(picker: string, names: string[]): Promise<void> {
  await chooseFolderIn(page, dataRoot, picker, names);
}

async function fillField(name: string, value: string): Promise<void> {
  const field = byTestId(`field-${name}`);
  await field.fill(value);
}

/** Starts a run from the Train screen with random weights (no ImageNet weights can be fetched here). */
async function startRun(epochs: number): Promise<void> {
  await goTo('train');
  await byTestId('weights-none').check();
  await fillField('epochs', String(epochs));
  await fillField('imageSize', '32');
  await byTestId('start-run').click();
  await byTestId('run-header').waitFor();
}

async function runStatus(): Promise<string> {
  return (await byTestId('run-status').getAttribute('class')) ?? '';
}

function rawRequest(pathName: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(serve.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: pathName, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  appData = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-app-'));
  // The data root holds a copy of the sample, so nothing the test does can touch the repository.
  dataRoot = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-data-'));
  await copySample(dataRoot);
  // A checkpoint of the user's own to import (formula weights in torchvision's ResNet-18 layout, as .pth).
  await mkdir(path.join(dataRoot, 'checkpoints'));
  await writeFile(path.join(dataRoot, 'checkpoints', 'my-resnet18.pth'), serializeTorchZip(formulaStateDict(18, 1000)));
  // Offline, as a lab is: the weights server is a port nobody listens on.
  const offline = `http://127.0.0.1:${await unusedLocalPort()}/models`;
  serve = await startServe({ dataRoots: [dataRoot], appData, token: TOKEN, env: { RESNET_WORKBENCH_WEIGHTS_URL: offline } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await endSession(browser, serve, 'serve.log', [appData, dataRoot]);
});

screenshotFailures(() => page);

describe('browser mode, end to end', () => {
  it('gives nothing to a browser without the token, or to a foreign Host', async () => {
    const stranger = await browser.newContext();
    const response = await (await stranger.newPage()).goto(serve.origin);
    expect(response?.status()).toBe(401);
    const wrong = await (await stranger.newPage()).goto(`${serve.origin}/?token=wrong`);
    expect(wrong?.status()).toBe(401);
    await stranger.close();
    expect(await rawRequest(`/?token=${TOKEN}`, { Host: 'evil.example:80' })).toBeGreaterThanOrEqual(400);
  });

  it('opens with the token (which leaves the address bar) and shows the engine', async () => {
    await page.goto(serve.url);
    expect(new URL(page.url()).search).toBe('');
    await byTestId('engine-badge').waitFor();
    await waitFor('where the work runs', async () => /CPU|GPU/.test((await byTestId('engine-device').textContent()) ?? ''));
  });

  it('chooses the sample through the folder browser and reads the scan report', async () => {
    await goTo('data');
    // A first-time user picks the folder above the split: blocked before Start, with the way out.
    await chooseFolder('train-dir', ['fashion']);
    await byTestId('scan').click();
    await byTestId('scan-blocked').waitFor({ timeout: 60_000 });
    expect(await byTestId('scan-blocked').textContent()).toContain('looks like the folder above a split');
    expect(await byTestId('continue-to-train').isDisabled()).toBe(true);
    await screenshot('data-blocked');
    await byTestId('use-split-folders').click();
    await byTestId('scan-ready').waitFor({ timeout: 60_000 });
    expect(await byTestId('train-dir-input').inputValue()).toBe(path.join(dataRoot, 'fashion', 'train'));
    expect(await byTestId('test-dir-input').inputValue()).toBe(path.join(dataRoot, 'fashion', 'test'));
    await byTestId('scan-report').waitFor({ timeout: 60_000 });
    await expect.poll(() => byTestId('class-row').count(), { timeout: 30_000 }).toBe(5);
    expect(await byTestId('total-train').textContent()).toContain('400');
    await byTestId('class-thumbnails').locator('img').first().waitFor({ timeout: 60_000 });
    await screenshot('data');
    // A reload keeps the folders and their report.
    await page.reload();
    await byTestId('scan-report').waitFor({ timeout: 30_000 });
    expect(await byTestId('train-dir-input').inputValue()).toBe(path.join(dataRoot, 'fashion', 'train'));
  });

  it('refuses a folder outside the data roots, saying which roots are allowed', async () => {
    await byTestId('train-dir-input').fill('/etc');
    await byTestId('scan').click();
    await byTestId('scan-error').waitFor();
    expect(await byTestId('scan-error').textContent()).toContain(dataRoot);
    await byTestId('train-dir-input').fill(path.join(dataRoot, 'fashion', 'train'));
  });

  it('offline, says before Start that the ImageNet weights cannot be had; imports a file from there, then chooses random initialisation', async () => {
    await goTo('train');
    await byTestId('weights-offline').waitFor({ timeout: 30_000 });
    expect(await byTestId('weights-offline').textContent()).toContain('ResNet-18’s ImageNet weights are not on this computer, and they cannot be downloaded from here.');
    expect(await byTestId('weights-offline').textContent()).toContain(`into one of its data folders (${dataRoot}`);
    expect(await byTestId('start-run').isDisabled()).toBe(true);
    expect(await byTestId('start-blocked').textContent()).toContain('cannot be downloaded from here');
    await screenshot('train-offline');
    // The form is remembered for this data folder across a reload.
    await fillField('epochs', '7');
    await page.waitForTimeout(300);
    await page.reload();
    await goTo('train');
    await expect.poll(() => byTestId('field-epochs').inputValue(), { timeout: 30_000 }).toBe('7');

    await byTestId('weights-offline-import').click();
    const browserDialog = byTestId('folder-browser');
    await browserDialog.waitFor();
    await browserDialog.locator(`[data-testid="browser-entry"][data-name="${dataRoot}"]`).click();
    await browserDialog.locator('[data-testid="browser-entry"][data-name="checkpoints"]').click();
    await browserDialog.locator('[data-testid="browser-entry"][data-name="my-resnet18.pth"]').click();
    await byTestId('weights-import-result').waitFor({ timeout: 60_000 });
    expect(await byTestId('weights-file').isChecked()).toBe(true);
    expect(await byTestId('start-run').isDisabled()).toBe(false);
    await byTestId('weights-none').check();
    expect(await byTestId('weights-none-notice').textContent()).toContain('expect poor accuracy');
    expect(await byTestId('start-run').isDisabled()).toBe(false);
  });

  it('trains a short ResNet-18 run and shows it live: charts, matrix, per-class table, gallery', async () => {
    // Epochs of a linear run take milliseconds, too fast to poll: the page records every point count
    // its accuracy chart shows, as it shows it.
    await page.evaluate(EPOCH_POINTS_RECORDER);
    // Enough epochs that some are drawn before the last: the page applies live events in batches.
    await startRun(12);
    await waitFor('batch-loss points', async () => (await chartPoints('chart-batch-loss')) > 0);
    await waitFor('the first epoch', async () => (await chartPoints('chart-epoch-accuracy')) > 0);
    await byTestId('confusion-matrix').waitFor();
    await waitFor('the run to finish', async () => (await runStatus()).includes('finished'), 240_000);
    expect(await chartPoints('chart-epoch-accuracy')).toBe(24);
    // Train and validation accuracy per epoch, drawn as epochs ended: some were shown before all were.
    const shown = (await page.evaluate('window.__epochPointsShown')) as number[];
    expect(shown.some((count) => count > 0 && count < 24), `point counts shown: ${shown.join(', ')}`).toBe(true);
    // Per-class tables of the validation images (the epochs') and of the test folder, scored once: 5 classes each.
    await expect.poll(() => byTestId('per-class-row').count(), { timeout: 30_000 }).toBe(10);
    await byTestId('run-summary').waitFor();
    finishedRunId = runIdIn(await byTestId('run-header').textContent()) ?? '';
    expect(finishedRunId).not.toBe('');
    await screenshot('run');

    // The fullest cell of the matrix opens a gallery of exactly its images.
    const cells = byTestId('cm-cell');
    const counts: number[] = [];
    for (let i = 0; i < (await cells.count()); i++) counts.push(Number(/\d+/.exec((await cells.nth(i).getAttribute('aria-label')) ?? '')?.[0] ?? 0));
    const fullest = counts.indexOf(Math.max(...counts));
    await cells.nth(fullest).click();
    await byTestId('image-gallery').waitFor();
    await expect.poll(() => byTestId('gallery-item').count(), { timeout: 30_000 }).toBe(Math.min(counts[fullest]!, 200));
    await byTestId('gallery-item').first().locator('img').waitFor({ timeout: 30_000 });
    await screenshot('gallery');
    // An image opens large, with its path; Escape closes it and leaves the gallery open.
    await byTestId('gallery-open').first().click();
    await byTestId('viewer-image').waitFor({ timeout: 30_000 });
    expect(await byTestId('viewer-path').textContent()).toContain(path.join(dataRoot, 'fashion'));
    await screenshot('image-viewer');
    await page.keyboard.press('Escape');
    await byTestId('image-viewer').waitFor({ state: 'detached' });
    expect(await byTestId('image-gallery').isVisible()).toBe(true);
    await byTestId('gallery-close').click();
  });

  it('cancels a run; catches up with a running one after a reload; a second tab sees it and can cancel it', async () => {
    await startRun(1000);
    await waitFor('batches of the long run', async () => (await chartPoints('chart-batch-loss')) > 0);
    // Cancel asks first.
    await byTestId('cancel-run').click();
    await byTestId('confirm-cancel').waitFor();
    expect(await byTestId('confirm-cancel').textContent()).not.toContain('not started in this window');
    await screenshot('confirm-cancel');
    await byTestId('confirm-cancel-yes').click();
    await waitFor('the run to read cancelled', async () => (await runStatus()).includes('cancelled'), 60_000);

    await startRun(1000);
    await waitFor('the first epoch of the new run', async () => (await chartPoints('chart-epoch-accuracy')) > 0);
    const shownHere = runIdIn(await byTestId('run-header').textContent());
    expect(shownHere).toBeDefined();
    expect(shownHere).not.toBe(finishedRunId);
    const before = await chartPoints('chart-batch-loss');
    await page.reload();
    // The reloaded page comes back to the running run and catches up with its history.
    await byTestId('run-header').waitFor({ timeout: 30_000 });
    expect(runIdIn(await byTestId('run-header').textContent())).toBe(shownHere);
    await waitFor('the caught-up history', async () => (await chartPoints('chart-batch-loss')) >= before);

    // A second tab opened now lands on the same run, live, and may cancel it for both.
    const second = await context.newPage();
    await second.goto(serve.origin);
    const secondHeader = second.locator('[data-testid="run-header"]');
    await secondHeader.waitFor({ timeout: 30_000 });
    expect(runIdIn(await secondHeader.textContent())).toBe(shownHere);
    await second.locator('[data-testid="cancel-run"]').click();
    // This tab did not start it, and says so.
    expect(await second.locator('[data-testid="confirm-cancel"]').textContent()).toContain('not started in this window');
    await second.locator('[data-testid="confirm-cancel-yes"]').click();
    await second.locator('[data-testid="run-status"].cancelled').waitFor({ timeout: 60_000 });
    await waitFor('the first tab to hear of the cancel', async () => (await runStatus()).includes('cancelled'), 30_000);
    await second.close();
  });

  it('opens the finished run from History', async () => {
    await goTo('history');
    await page.locator(`[data-testid="history-row"][data-run-id="${finishedRunId}"]`).click();
    await byTestId('open-run').click();
    await byTestId('run-header').waitFor();
    expect(runIdIn(await byTestId('run-header').textContent())).toBe(finishedRunId);
  });

  it('exports the run as ONNX with its model card', async () => {
    await goTo('export');
    for (const format of ['tfjs', 'pth', 'safetensors']) await byTestId(`export-format-${format}`).uncheck();
    await byTestId('export-format-onnx').check();
    await byTestId('export-run').click();
    const result = page.locator('[data-testid="export-result"][data-format="onnx"]');
    await page.locator('[data-testid="export-result"][data-format="onnx"]:is([data-state="done"], [data-state="failed"])').waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-state'), (await result.textContent()) ?? '').toBe('done');
    const shown = (await result.textContent()) ?? '';
    const onnxPath = /(\/\S+\.onnx)/.exec(shown)?.[1];
    expect(onnxPath, shown).toBeDefined();
    expect((await stat(onnxPath!)).size).toBeGreaterThan(1_000_000);
    await byTestId('model-card').waitFor();
    expect(await byTestId('model-card').textContent()).toContain('ONNX');
    await screenshot('export');
  });

  it('tries images dropped from this computer', async () => {
    await goTo('try');
    const images = ['bag', 'sneaker'].map((cls) => path.join(sample, 'test', cls));
    const files = await Promise.all(images.map(async (folder) => path.join(folder, (await readdir(folder))[0]!)));
    await byTestId('try-file-input').setInputFiles(files);
    await expect.poll(() => page.locator('[data-testid="prediction"][data-state="done"]').count(), { timeout: 60_000 }).toBe(2);
    for (const file of files) expect(await page.locator(`[data-testid="prediction"][data-file="${path.basename(file)}"]`).textContent()).toMatch(/%/);
    await screenshot('try-it');
  });

  it('names a run, resumes a cancelled one, deletes one, and compares two with their final figures', async () => {
    await goTo('history');
    // The first cancelled run may have stopped before its first epoch: such runs are hidden until asked for.
    if ((await byTestId('show-empty-runs').count()) > 0) await byTestId('show-empty-runs').check();
    await expect.poll(() => byTestId('history-row').count(), { timeout: 30_000 }).toBe(3);
    const row = (runId: string) => page.locator(`[data-testid="history-row"][data-run-id="${runId}"]`);
    await row(finishedRunId).click();
    await byTestId('run-name').fill('fashion baseline');
    await byTestId('run-note').fill('12 epochs, 32 px, random weights');
    await byTestId('run-label-save').click();
    await expect.poll(async () => (await row(finishedRunId).textContent()) ?? '').toContain('fashion baseline');

    // The other two were cancelled: resume the newest, see it run again, cancel it.
    const ids = await byTestId('history-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id') ?? ''));
    const [newest, oldest] = ids.filter((id) => id !== finishedRunId);
    await row(newest!).click();
    await byTestId('resume-run').click();
    await byTestId('run-header').waitFor();
    await waitFor('the resumed run to run', async () => (await runStatus()).includes('running'), 60_000);
    await byTestId('cancel-run').click();
    await byTestId('confirm-cancel-yes').click();
    await waitFor('the resumed run to read cancelled', async () => (await runStatus()).includes('cancelled'), 60_000);

    await goTo('history');
    if ((await byTestId('show-empty-runs').count()) > 0) await byTestId('show-empty-runs').check();
    await row(oldest!).click();
    await byTestId('delete-run').click();
    await byTestId('confirm-delete').waitFor();
    await screenshot('confirm-delete');
    await byTestId('confirm-delete-yes').click();
    await expect.poll(() => row(oldest!).count(), { timeout: 30_000 }).toBe(0);
    expect(await stat(path.join(appData, 'runs', oldest!)).catch(() => undefined)).toBeUndefined();

    await row(finishedRunId).locator('[data-testid="compare-check"]').check();
    await row(newest!).locator('[data-testid="compare-check"]').check();
    await byTestId('compare-runs').click();
    await byTestId('compare-chart').waitFor();
    expect(await byTestId('comparison').textContent()).toContain('fashion baseline and');
    await expect.poll(() => byTestId('compare-figure-row').count()).toBeGreaterThan(3);
    await screenshot('history');
  });

  it('imports a checkpoint file and trains from it', async () => {
    await goTo('train');
    await byTestId('weights-import-input').fill(path.join(dataRoot, 'checkpoints', 'my-resnet18.pth'));
    await byTestId('weights-import-input').press('Enter');
    await byTestId('weights-import-result').waitFor({ timeout: 60_000 });
    expect(await byTestId('weights-import-result').textContent()).toContain('ResNet-18, 1000 classes');
    expect(await byTestId('weights-file').isChecked()).toBe(true);
    await fillField('epochs', '1');
    await fillField('imageSize', '32');
    await byTestId('start-run').click();
    await byTestId('run-header').waitFor();
    await waitFor('the run from the imported checkpoint to finish', async () => (await runStatus()).includes('finished'), 240_000);
    // The run records where its backbone came from: the imported copy in the weights folder.
    const runId = runIdIn(await byTestId('run-header').textContent())!;
    const config = JSON.parse(await readFile(path.join(appData, 'runs', runId, 'config.json'), 'utf8')) as { facts: { weightsSource: string; weightsSha256: string | null } };
    expect(config.facts.weightsSource).toContain(path.join(appData, 'weights'));
    expect(config.facts.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
