/**
 * `--self-test`: the packaged app checks itself the way a user's first session goes, through the
 * real page, preload and IPC: main opens the window hidden, runs `selfTestPageScript` in the page
 * (it calls window.workbench like the UI does: engine info, the weights list, a scan of the bundled
 * sample, a one-epoch run — trained in a utility process — and an ONNX export), then checks the
 * answer with `selfTestProblems`. The release workflow runs it on every OS before publishing.
 */
import type { RunConfigInput } from '../common/runConfig';

export interface SelfTestPlan {
  /** The bundled sample's train and test folders. */
  trainDir: string;
  testDir: string;
  /** Where the export is written (a fresh folder inside the app's data folder). */
  exportPath: string;
}

/** What the page reports back (plain data: it crosses from the page to main). */
export interface SelfTestSummary {
  backend: string;
  inference: string | null;
  /** 'bundled' when the installer carries ResNet-18's ImageNet weights and the run used them. */
  weights: 'bundled' | 'random';
  classes: number;
  trainImages: number;
  epochsRun: number;
  testAccuracy: number | null;
  exportPath: string;
}

/** The run the self-test trains: one epoch, small images, the bundled weights when present. */
export function selfTestRunConfig(plan: SelfTestPlan, bundledWeights: boolean): RunConfigInput {
  return {
    trainDir: plan.trainDir,
    testDir: plan.testDir,
    weights: bundledWeights ? 'imagenet' : 'none',
    depth: 18,
    imageSize: 64,
    epochs: 1,
    batchSize: 16,
    augment: false,
  };
}

/**
 * JavaScript for `webContents.executeJavaScript`: resolves to a SelfTestSummary or rejects with the
 * first failure. It uses only window.workbench, as the UI does.
 */
export function selfTestPageScript(plan: SelfTestPlan): string {
  const configs = { bundled: selfTestRunConfig(plan, true), random: selfTestRunConfig(plan, false) };
  return `(async () => {
  const api = window.workbench;
  const value = (reply, call) => {
    if (!reply || reply.ok !== true) throw new Error(call + ': ' + (reply && reply.error ? reply.error.code + ' ' + reply.error.message : 'no reply'));
    return reply.value;
  };
  const configs = ${JSON.stringify(configs)};
  const info = value(await api.engine.info(), 'engine.info');
  const weights = value(await api.weights.list(), 'weights.list');
  const resnet18 = weights.pretrained.find((w) => w.depth === 18 && w.variant === 'IMAGENET1K_V1');
  const bundled = Boolean(resnet18 && resnet18.bundled);
  const scan = value(await api.dataset.scan({ train: configs.random.trainDir, test: configs.random.testDir }), 'dataset.scan');
  let unsubscribe = () => {};
  const ended = new Promise((resolve, reject) => {
    const offFinished = api.on('run.finished', (payload) => resolve(payload));
    const offFailed = api.on('run.failed', (payload) => reject(new Error('run.failed: ' + payload.error.code + ' ' + payload.error.message)));
    unsubscribe = () => { offFinished(); offFailed(); };
  });
  try {
    const started = value(await api.runs.start({ config: bundled ? configs.bundled : configs.random }), 'runs.start');
    const report = await ended;
    const exported = value(await api.models.export({ runId: started.runId, format: 'onnx', out: ${JSON.stringify(plan.exportPath)} }), 'models.export');
    return {
      backend: info.backend,
      inference: info.inference ? info.inference.engine + ' ' + info.inference.provider : null,
      weights: bundled ? 'bundled' : 'random',
      classes: scan.classes.length,
      trainImages: report.trainImages ?? 0,
      epochsRun: report.epochsRun,
      testAccuracy: report.testAccuracy,
      exportPath: exported.path,
    };
  } finally {
    unsubscribe();
  }
})()`;
}

/**
 * What is wrong with a summary (none: passed). `exportBytes`: the exported file's size as main finds
 * it on disk; `workersStarted`: the utility processes main forked.
 */
export function selfTestProblems(summary: SelfTestSummary, plan: SelfTestPlan, exportBytes: number, workersStarted: number): string[] {
  const problems: string[] = [];
  if (summary.epochsRun !== 1) problems.push(`the run trained ${summary.epochsRun} epochs, not 1`);
  if (summary.classes < 2) problems.push(`the sample scan found ${summary.classes} classes`);
  if (summary.trainImages < 1) problems.push('the run trained on no images');
  if (summary.testAccuracy === null) problems.push('the run reported no test accuracy');
  if (summary.exportPath !== plan.exportPath || exportBytes <= 0) problems.push(`the export did not write ${plan.exportPath}`);
  if (workersStarted < 1) problems.push('nothing ran in a utility process');
  return problems;
}

/** One line for the console. */
export function describeSelfTest(summary: SelfTestSummary, exportBytes: number): string {
  const accuracy = summary.testAccuracy === null ? 'n/a' : `${(summary.testAccuracy * 100).toFixed(1)}%`;
  return (
    `self-test passed: ${summary.backend} training, ${summary.inference ?? 'tfjs'} inference, ${summary.weights === 'bundled' ? 'bundled ImageNet weights' : 'random initialisation'}, ` +
    `${summary.classes} classes, ${summary.trainImages} images, ${summary.epochsRun} epoch, test accuracy ${accuracy}, exported ${summary.exportPath} (${exportBytes} bytes)`
  );
}
