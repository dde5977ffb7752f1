import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript build script, run by Node in the release workflow
import { packagedApps } from '../../build/checkPackagedApp.mjs';
// @ts-expect-error -- plain JavaScript build script
import { readBuilderConfig } from '../../build/distCheck.mjs';

let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(path.join(tmpdir(), 'workbench-dist-'));
  // electron-builder's output folders on the three runners.
  for (const folder of ['linux-unpacked', 'win-unpacked', 'mac/ResNet Workbench.app', 'mac-arm64/ResNet Workbench.app', '.icon-set']) await mkdir(path.join(dist, folder), { recursive: true });
  await writeFile(path.join(dist, 'resnet-workbench_0.1.0_amd64.deb'), '');
});

afterAll(async () => {
  if (dist) await rm(dist, { recursive: true, force: true });
});

describe('the release workflow’s check of what it packaged', () => {
  it('finds every packaged app, its executable and the file holding its fuses, by architecture', async () => {
    const apps = packagedApps(await readBuilderConfig(), dist) as Array<{ arch: string; executable: string; fuseFile: string }>;
    const relative = (p: string) => path.relative(dist, p);
    expect(apps.map((a) => [a.arch, relative(a.executable), relative(a.fuseFile)]).sort()).toEqual(
      [
        ['x64', 'linux-unpacked/resnet-workbench', 'linux-unpacked/resnet-workbench'],
        ['x64', 'win-unpacked/ResNet Workbench.exe', 'win-unpacked/ResNet Workbench.exe'],
        ['x64', 'mac/ResNet Workbench.app/Contents/MacOS/ResNet Workbench', 'mac/ResNet Workbench.app'],
        ['arm64', 'mac-arm64/ResNet Workbench.app/Contents/MacOS/ResNet Workbench', 'mac-arm64/ResNet Workbench.app'],
      ].sort(),
    );
  });
});
