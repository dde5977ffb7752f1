import { describe, expect, it } from 'vitest';
import { describeSelfTest, selfTestPageScript, selfTestProblems, selfTestRunConfig, type SelfTestSummary } from '../../src-main/electron-main/selfTest';
import { resolveRunConfig } from '../../src-main/common/runConfig';

const plan = { trainDir: '/app/resources/sample-fashion/train', testDir: '/app/resources/sample-fashion/test', exportPath: '/data/self-test-model.onnx' };
const good: SelfTestSummary = {
  backend: 'wasm',
  inference: 'onnxruntime cpu',
  weights: 'bundled',
  classes: 5,
  trainImages: 320,
  epochsRun: 1,
  testAccuracy: 0.8,
  exportPath: plan.exportPath,
};

describe('the packaged app’s self-test', () => {
  it('trains one epoch on the sample, with the bundled weights when there are some', () => {
    expect(resolveRunConfig(selfTestRunConfig(plan, true))).toMatchObject({ weights: 'imagenet', depth: 18, epochs: 1, trainDir: plan.trainDir, testDir: plan.testDir });
    expect(resolveRunConfig(selfTestRunConfig(plan, false))).toMatchObject({ weights: 'none', epochs: 1 });
  });

  it('is a page script that only uses window.workbench and parses', () => {
    const script = selfTestPageScript(plan);
    expect(() => new Function(`return ${script};`)).not.toThrow();
    expect(script).not.toMatch(/require|ipcRenderer|process\./);
    for (const call of ['engine.info', 'weights.list', 'dataset.scan', 'runs.start', 'models.export']) expect(script).toContain(`api.${call}(`);
  });

  it('passes a complete summary and names each thing that went wrong', () => {
    expect(selfTestProblems(good, plan, 1234, 1)).toEqual([]);
    expect(describeSelfTest(good, 1234)).toMatch(/^self-test passed: wasm training, onnxruntime cpu inference, bundled ImageNet weights, 5 classes, 320 images, 1 epoch, test accuracy 80\.0%/);
    const bad = { ...good, epochsRun: 0, classes: 1, trainImages: 0, testAccuracy: null };
    expect(selfTestProblems(bad, plan, 0, 0)).toEqual([
      'the run trained 0 epochs, not 1',
      'the sample scan found 1 classes',
      'the run trained on no images',
      'the run reported no test accuracy',
      `the export did not write ${plan.exportPath}`,
      'nothing ran in a utility process',
    ]);
  });
});
