/**
 * Exports checked by the tools that consume them: the model card's PyTorch snippet, run as written
 * by Debian's /usr/bin/python3 (torch + torchvision), loads the .pth and the .safetensors export
 * with `load_state_dict(strict=True)` and must agree with the workbench's own predictions; the ONNX
 * export passes ONNX's own checker (python3-onnx). ONNX Runtime for Python is not packaged in
 * Debian, so running the ONNX card's snippet is skipped here; `npm test` runs the .onnx file in
 * ONNX Runtime through onnxruntime-node instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/node/engine/backend';
import type { TopClass } from '../../src-main/node/engine/classify';
import { classifyWithModel } from '../../src-main/node/export/loadModel';
import { exportRun } from '../../src-main/node/export/exportRun';
import { loadRunModel } from '../../src-main/node/export/loadRunModel';
import type { RunReport } from '../../src-main/node/train/trainer';
import { makeTinyRun, testImages } from '../node/export/tinyRun';

const PYTHON = '/usr/bin/python3';

function pythonHas(module: string): boolean {
  try {
    execFileSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function codeBlock(markdown: string, language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(markdown);
  if (!match) throw new Error(`no ${language} block in the model card`);
  return match[1] as string;
}

let work: string;
let run: RunReport;
let files: string[];
let ours: { label: string; probability: number }[][];

describe('exports loaded by PyTorch and checked by ONNX', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-export-ref-'));
    run = await makeTinyRun(work);
    files = await testImages(work);
    const loaded = await loadRunModel(run.folder);
    ours = [];
    for await (const p of classifyWithModel(loaded, files, { topK: 3 })) {
      if ('top' in p) ours.push(p.top.map((t: TopClass) => ({ label: t.label, probability: t.probability })));
    }
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('has PyTorch and torchvision at /usr/bin/python3', () => {
    expect(pythonHas('torch') && pythonHas('torchvision'), `${PYTHON} needs python3-torch and python3-torchvision`).toBe(true);
  });

  for (const format of ['pth', 'safetensors'] as const) {
    it(`the model card's PyTorch snippet loads the ${format} export strictly and agrees with the workbench`, async () => {
      const out = path.join(work, `model.${format}`);
      const result = await exportRun({ run: run.folder, format, out });
      const script = path.join(work, `card-${format}.py`);
      await writeFile(script, codeBlock(await readFile(result.card, 'utf8'), 'python'));
      const stdout = execFileSync(PYTHON, [script, ...files], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24 });
      const torch = stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; top: { label: string; probability: number }[] });
      expect(torch.map((t) => t.file)).toEqual(files);
      const agree = torch.filter((t, n) => t.top[0]!.label === ours[n]![0]!.label).length / files.length;
      expect(agree).toBeGreaterThanOrEqual(0.995);
      const worst = Math.max(...torch.map((t, n) => Math.abs(t.top[0]!.probability - ours[n]![0]!.probability)));
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it('the ONNX export passes onnx.checker with opset 13, a dynamic batch and the metadata', async () => {
    expect(pythonHas('onnx'), `${PYTHON} needs python3-onnx`).toBe(true);
    const out = path.join(work, 'model.onnx');
    await exportRun({ run: run.folder, format: 'onnx', out });
    const check = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
i = m.graph.input[0]
print(json.dumps({
  "opset": [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")],
  "input": i.name,
  "dims": [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim],
  "output": m.graph.output[0].name,
  "ops": sorted({n.op_type for n in m.graph.node}),
  "meta": {p.key: p.value for p in m.metadata_props},
}))`;
    const r = JSON.parse(execFileSync(PYTHON, ['-c', check, out], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(r).toMatchObject({ opset: [13], input: 'input', dims: ['batch', 3, 32, 32], output: 'logits' });
    expect(r.ops).toEqual(['Add', 'BatchNormalization', 'Conv', 'Flatten', 'Gemm', 'GlobalAveragePool', 'MaxPool', 'Relu']);
    expect(r.meta).toMatchObject({ labels: '["blue","green","red"]', depth: '18', imageSize: '32', runId: run.runId });
  });

  it.skipIf(!pythonHas('onnxruntime'))("the ONNX card's ONNX Runtime snippet agrees with the workbench", async () => {
    const out = path.join(work, 'model.onnx');
    const script = path.join(work, 'card-onnx.py');
    await writeFile(script, codeBlock(await readFile(`${out}.md`, 'utf8'), 'python'));
    const stdout = execFileSync(PYTHON, [script, ...files], { cwd: work, encoding: 'utf8' });
    const ort = stdout.trim().split('\n').map((l) => JSON.parse(l) as { top: { label: string }[] });
    expect(ort.filter((t, n) => t.top[0]!.label === ours[n]![0]!.label).length / files.length).toBeGreaterThanOrEqual(0.995);
  });
});
