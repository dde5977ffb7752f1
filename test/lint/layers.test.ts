/**
 * The layering rule of eslint.config.js, exercised through ESLint's own API on small probe sources
 * placed (virtually) in each layer. The probes import real files so the import resolver sees them.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LAYER_RULES = new Set(['import-x/no-restricted-paths', 'no-restricted-imports']);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The layering messages ESLint reports for `source` as if it were the file at `filePath`. */
async function layerViolations(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}/${filePath}` });
  if (!result) throw new Error('ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`probe did not parse: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId)).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the layering rule rejects', () => {
  it.each([
    ['common → node', 'src-main/common/probe.ts', "import { initBackend } from '../node/engine/backend';\nexport { initBackend };\n", /common\/ runs everywhere/],
    ['common → electron-main', 'src-main/common/probe.ts', "import { isAppUrl } from '../electron-main/security';\nexport { isAppUrl };\n", /common\/ runs everywhere/],
    ['common → a Node built-in', 'src-main/common/probe.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n", /Runs in a browser too/],
    ['common → tfjs', 'src-main/common/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport { tf };\n", /Runs in a browser too/],
    ['node → electron', 'src-main/node/service/probe.ts', "import { app } from 'electron';\nexport { app };\n", /never import electron/],
    ['node → electron-main', 'src-main/node/service/probe.ts', "import { isAppUrl } from '../../electron-main/security';\nexport { isAppUrl };\n", /node\/ is the engine/],
    ['node → preload', 'src-main/node/service/probe.ts', "import { buildWorkbenchApi } from '../../preload/workbenchApi';\nexport { buildWorkbenchApi };\n", /node\/ is the engine/],
    ['preload → node', 'src-main/preload/probe.ts', "import { Workbench } from '../node/service/workbench';\nexport { Workbench };\n", /preload\/ imports common\/ and electron only/],
    ['preload → electron-main', 'src-main/preload/probe.ts', "import { isAppUrl } from '../electron-main/security';\nexport { isAppUrl };\n", /preload\/ imports common\/ and electron only/],
    ['electron-main → preload', 'src-main/electron-main/probe.ts', "import { buildWorkbenchApi } from '../preload/workbenchApi';\nexport { buildWorkbenchApi };\n", /through the contract only/],
    ['renderer → node', 'src-renderer/src/probe.ts', "import { Workbench } from '../../src-main/node/service/workbench';\nexport { Workbench };\n", /imports only src-main\/common/],
    ['renderer → electron-main', 'src-renderer/src/probe.ts', "import { isAppUrl } from '../../src-main/electron-main/security';\nexport { isAppUrl };\n", /imports only src-main\/common/],
    ['renderer → tfjs', 'src-renderer/src/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport { tf };\n", /Runs in a browser too/],
    ['renderer → electron', 'src-renderer/src/probe.ts', "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };\n", /Runs in a browser too/],
    ['renderer → sharp', 'src-renderer/src/api/probe.ts', "import sharp from 'sharp';\nexport { sharp };\n", /Runs in a browser too/],
    [
      'a renderer component → tfjs',
      'src-renderer/src/components/Probe.vue',
      "<script setup lang=\"ts\">\nimport * as tf from '@tensorflow/tfjs-core';\nconst version = tf.version;\n</script>\n\n<template>\n  <p>{{ version }}</p>\n</template>\n",
      /Runs in a browser too/,
    ],
  ])('%s', async (_name, filePath, source, expected) => {
    const violations = await layerViolations(filePath, source);
    expect(violations.length, violations.join('\n')).toBeGreaterThan(0);
    expect(violations.join('\n')).toMatch(expected);
  });
});

describe('the layering rule accepts', () => {
  it.each([
    ['node → common', 'src-main/node/service/probe.ts', "import { CALLS } from '../../common/contract';\nimport { readFileSync } from 'node:fs';\nexport { CALLS, readFileSync };\n"],
    ['node → tfjs and sharp', 'src-main/node/engine/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nimport sharp from 'sharp';\nexport { tf, sharp };\n"],
    ['electron-main → node, common and electron', 'src-main/electron-main/probe.ts', "import { app } from 'electron';\nimport { Workbench } from '../node/service/workbench';\nimport { CALLS } from '../common/contract';\nexport { app, Workbench, CALLS };\n"],
    ['preload → common and electron', 'src-main/preload/probe.ts', "import { contextBridge } from 'electron';\nimport { CALL_NAMES } from '../common/contract';\nexport { contextBridge, CALL_NAMES };\n"],
    ['renderer → common', 'src-renderer/src/api/probe.ts', "import type { WorkbenchApi } from '../../../src-main/common/contract';\nimport { RESNET_DEPTHS } from '../../../src-main/common/resnetSpec';\nexport type Api = WorkbenchApi;\nexport { RESNET_DEPTHS };\n"],
    ['renderer → vue', 'src-renderer/src/probe.ts', "import { ref } from 'vue';\nexport const count = ref(0);\n"],
  ])('%s', async (_name, filePath, source) => {
    expect(await layerViolations(filePath, source)).toEqual([]);
  });
});
