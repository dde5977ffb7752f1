/**
 * ONNX Runtime's provider chain: the platform preference, a provider that fails to load, a probe that
 * takes too long, and a process that dies while loading one (its crash marker makes the next process
 * skip that provider, with the reason).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  forgetProviderProbes,
  physicalCoreCount,
  probeInWorkerThread,
  providerPreference,
  selectProvider,
  type ProviderProbe,
} from '../../../src-main/node/engine/onnxRuntime';

const execFileAsync = promisify(execFile);
const folders: string[] = [];
async function stateFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'rw-ort-'));
  folders.push(folder);
  return folder;
}

afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});
beforeEach(() => forgetProviderProbes());

describe('ONNX Runtime providers', () => {
  it('prefers each platform\'s GPU API, then the CPU', () => {
    expect(providerPreference('linux', 'x64')).toEqual(['cuda', 'cpu']);
    expect(providerPreference('win32', 'x64')).toEqual(['dml', 'cpu']);
    expect(providerPreference('darwin', 'arm64')).toEqual(['coreml', 'cpu']);
    expect(providerPreference('linux', 'arm64')).toEqual(['cpu']);
    expect(physicalCoreCount()).toBeGreaterThanOrEqual(1);
  });

  it('passes the CPU provider\'s probe in a worker thread (the probe checks the answer)', async () => {
    expect(await probeInWorkerThread('cpu', 30_000)).toEqual({ ok: true });
  }, 60_000);

  it('falls back to the CPU with the reason when a provider fails to load', async () => {
    // DirectML exists only in Windows builds: here it really fails to load.
    const folder = await stateFolder();
    const selection = await selectProvider({ requested: process.platform === 'win32' ? 'coreml' : 'dml', stateFolder: folder });
    expect(selection.provider).toBe('cpu');
    expect(selection.skipped).toHaveLength(1);
    expect(selection.skipped[0]!.reason.length).toBeGreaterThan(5);
    // The probe left no marker behind: nothing died.
    expect(await readdir(folder)).toEqual([]);
  }, 60_000);

  it('gives up on a probe that does not answer in time', async () => {
    expect(await probeInWorkerThread('cpu', 1)).toEqual({ ok: false, reason: 'it did not answer within 1 ms' });
  });

  it('probes a provider once per process and takes the first that passes', async () => {
    let calls = 0;
    const probe: ProviderProbe = async () => {
      calls++;
      return { ok: true };
    };
    const folder = await stateFolder();
    expect(await selectProvider({ platform: 'win32', arch: 'x64', stateFolder: folder, probe })).toEqual({ provider: 'dml', skipped: [] });
    expect(await selectProvider({ platform: 'win32', arch: 'x64', stateFolder: folder, probe })).toEqual({ provider: 'dml', skipped: [] });
    expect(calls).toBe(1);
  });

  it('skips, with the reason, a provider that killed the process loading it; asked for by name it is tried again', async () => {
    const folder = await stateFolder();
    const module = new URL('../../../src-main/node/engine/onnxRuntime.ts', import.meta.url).href;
    const script = path.join(await stateFolder(), 'dies-while-probing.mts');
    // A probe that ends its own process, as a broken GPU driver would.
    await writeFile(
      script,
      `import { selectProvider } from ${JSON.stringify(module)};\n` +
        `await selectProvider({ platform: 'linux', arch: 'x64', stateFolder: ${JSON.stringify(folder)}, probe: async () => { process.kill(process.pid, 'SIGKILL'); return { ok: true }; } });\n`,
    );
    const died = await execFileAsync(process.execPath, ['--import', 'tsx', script]).catch((error: { signal?: string }) => error);
    expect(died).toMatchObject({ signal: 'SIGKILL' });
    expect(await readdir(folder)).toEqual(['probing-cuda.json']);

    let probed = 0;
    const probe: ProviderProbe = async () => {
      probed++;
      return { ok: true };
    };
    const next = await selectProvider({ platform: 'linux', arch: 'x64', stateFolder: folder, probe });
    expect(next.provider).toBe('cpu');
    expect(next.skipped).toEqual([{ provider: 'cuda', reason: expect.stringMatching(/an earlier process died while loading it \(pid \d+\)/) }]);
    expect(probed).toBe(0);

    forgetProviderProbes();
    expect(await selectProvider({ requested: 'cuda', stateFolder: folder, probe })).toEqual({ provider: 'cuda', skipped: [] });
    expect(probed).toBe(1);
    expect(await readdir(folder)).toEqual([]);
  }, 60_000);
});
