import type { Command } from 'commander';
import { initBackend, type BackendName } from '../../engine/backend';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { formatTable } from '../output';
import { BACKEND_NAMES } from '../../engine/backend';
import { UsageError } from '../usage';
import { describeEngine, inferenceEngineHere } from '../../engine/frozenNetwork';
import { addInferenceOptions, inferenceFromOptions, type InferenceCommandOptions } from '../inferenceOptions';

export function registerInfo(program: Command, ctx: CliContext): void {
  withJsonOption(
    addInferenceOptions(program
      .command('info'))
      .description('show the compute backend in use, library versions and what the backend can do')
      .option('--backend <name>', `try only this backend (${BACKEND_NAMES.join(', ')})`),
  ).action(async (options: { json?: boolean; backend?: string } & InferenceCommandOptions) => {
    const out = outputFor(ctx, options);
    if (options.backend && !BACKEND_NAMES.includes(options.backend as BackendName)) {
      throw new UsageError(`unknown backend '${options.backend}'; choose one of ${BACKEND_NAMES.join(', ')}`);
    }
    const info = await initBackend(options.backend ? { candidates: [options.backend as BackendName] } : {});
    const inference = await inferenceEngineHere(inferenceFromOptions(options));
    out.summary({ ...info, inference });
    out.line(`frozen network   ${describeEngine(inference)}: features, evaluation, predictions`);
    for (const s of inference.skipped) out.line(`  not used: ${s.choice}: ${s.reason}`);
    out.line(`trainer backend  ${info.backend} (tfjs '${info.tfjsBackend}')`);
    out.line(`conv gradients   ${info.convGradients ? 'yes: fine-tuning available' : 'no: linear (frozen backbone) training only'}`);
    out.line();
    out.line(formatTable(['library', 'version'], Object.entries(info.versions)));
    if (info.skipped.length > 0) {
      out.line();
      out.line('faster backends not loaded:');
      out.line(formatTable(['backend', 'reason'], info.skipped.map((s) => [s.backend, s.reason])));
    }
  });
}
