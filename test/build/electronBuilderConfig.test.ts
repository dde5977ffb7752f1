/**
 * electron-builder needs to download Electron, so packaging itself runs on release machines. Here we
 * check its configuration with electron-builder's own schema validator and the facts the app relies
 * on: natives unpacked from the asar archive, the outputs and resources packaged, the three targets.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
// js-yaml and app-builder-lib come with electron-builder; resolve them from there.
const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};

interface TargetEntry {
  target: string;
  arch: string[];
}
interface BuilderConfig {
  productName: string;
  appId: string;
  icon: string;
  files: string[];
  asarUnpack: string[];
  win: { target: TargetEntry[] };
  mac: { target: TargetEntry[] };
  linux: { target: TargetEntry[] };
  electronFuses: Record<string, boolean>;
  extraResources: unknown[];
}

const config = yaml.load(readFileSync(`${root}/electron-builder.yml`, 'utf8')) as BuilderConfig;
const quietLogger = { isEnabled: false, add() {} };

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema validation, which does reject mistakes', async () => {
    await expect(validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, asarUnpak: ['x'] }, quietLogger)).rejects.toThrow(/asarUnpak/);
  });

  it('names the product and builds NSIS, dmg for x64 and arm64, AppImage and deb', () => {
    expect(config.productName).toBe('ResNet Workbench');
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.linux.target.map((t) => t.target)).toEqual(['AppImage', 'deb']);
  });

  it('sets the Electron fuses of the security checklist, every fuse of the wire decided (dist:check packs with this same file)', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
      loadBrowserProcessSpecificV8Snapshot: false,
    });
    const { FuseV1Options } = builderRequire('@electron/fuses') as { FuseV1Options: Record<string, string | number> };
    const everyFuse = Object.keys(FuseV1Options).filter((key) => Number.isNaN(Number(key)));
    expect(everyFuse).toHaveLength(8);
    for (const fuse of everyFuse) expect(config.electronFuses, fuse).toHaveProperty(fuse.charAt(0).toLowerCase() + fuse.slice(1));
  });

  it('ships the weights fetched at packaging time as <resources>/weights', () => {
    expect(config.extraResources).toEqual([{ from: 'bundled-weights', to: 'weights', filter: ['*.pth'] }]);
  });

  it('packages the build output and the run-time resources', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json', 'resources/**']));
  });

  it('unpacks native modules and wasm binaries from the asar archive', () => {
    for (const pattern of [
      'node_modules/sharp/**',
      'node_modules/@img/**',
      'node_modules/@tensorflow/tfjs-node/**',
      'node_modules/@tensorflow/tfjs-node-gpu/**',
      'node_modules/onnxruntime-node/**',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
      '**/*.node',
    ]) {
      expect(config.asarUnpack).toContain(pattern);
    }
  });

  it('has a 512×512 PNG icon for electron-builder to derive .icns and .ico from', async () => {
    const metadata = await sharp(`${root}/${config.icon}`).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 512, height: 512 });
  });
});

describe('the release workflow', () => {
  interface Step {
    name?: string;
    run?: string;
    uses?: string;
    if?: string;
  }
  interface Workflow {
    on: { push: { tags: string[] } };
    jobs: Record<string, { 'runs-on': string; needs?: string; strategy?: { matrix: { include: Array<{ os: string; target: string }> } }; steps: Step[] }>;
  }
  const source = readFileSync(`${root}/.github/workflows/release.yml`, 'utf8');
  const workflow = yaml.load(source) as Workflow;
  const { validateWorkflow } = createRequire(import.meta.url)('@action-validator/core') as {
    validateWorkflow(src: string): { errors: Array<{ code: string; path?: string; title: string }> };
  };

  it('is a valid GitHub workflow (SchemaStore’s schema, through action-validator), which does reject mistakes', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
    expect(validateWorkflow(source.replace('runs-on: ${{ matrix.os }}', 'runs_on: ${{ matrix.os }}')).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow(source.replace("if: runner.os == 'Linux'", "iff: runner.os == 'Linux'")).errors.length).toBeGreaterThan(0);
  });

  it('packages on a Windows, a macOS and a Linux runner, after the tests pass, from a version tag', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    const pack = workflow.jobs.package!;
    expect(pack.needs).toBe('test');
    expect(pack.strategy?.matrix.include.map((m) => [m.os.split('-')[0], m.target])).toEqual([
      ['windows', '--win'],
      ['macos', '--mac'],
      ['ubuntu', '--linux'],
    ]);
    expect(workflow.jobs.test!.steps.some((s) => s.run === 'npm test')).toBe(true);
    expect(workflow.jobs.release!.needs).toBe('package');
  });

  it('fetches the bundled weights, packages, then checks fuses, self-test and command line before uploading', () => {
    const steps = workflow.jobs.package!.steps;
    const index = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);
    const order = [
      index((s) => s.run === 'npm ci'),
      index((s) => s.run === 'npx electron-vite build'),
      index((s) => s.run === 'npx tsx build/fetchBundledWeights.ts --depth 18'),
      index((s) => s.run === 'npx electron-builder ${{ matrix.target }} --publish never'),
      index((s) => s.run === 'node build/checkPackagedApp.mjs fuses'),
      index((s) => s.run === 'node build/checkPackagedApp.mjs self-test'),
      index((s) => s.run === 'node build/checkPackagedApp.mjs cli'),
      index((s) => s.uses?.startsWith('actions/upload-artifact@') === true),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Linux: xvfb and a set-uid sandbox helper before the self-test.
    const linux = steps.find((s) => s.if === "runner.os == 'Linux'");
    expect(linux?.run).toMatch(/xvfb[\s\S]*chmod 4755 dist\/linux-unpacked\/chrome-sandbox/);
    expect(steps.indexOf(linux!)).toBeLessThan(order[5]!);
  });
});
