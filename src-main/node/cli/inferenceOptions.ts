/**
 * `--engine`, `--provider`, `--threads`: how the frozen forward passes run (engine/frozenNetwork.ts).
 * Shared by train, demo, predict and info.
 */
import { Option, type Command } from 'commander';
import { INFERENCE_ENGINES, PROVIDER_CHOICES, type InferenceEngineChoice, type OnnxProvider } from '../../common/runConfig';
import type { InferenceRequest } from '../engine/frozenNetwork';
import { parsePositiveInt } from './usage';

export interface InferenceCommandOptions {
  engine?: InferenceEngineChoice;
  provider?: OnnxProvider | 'auto';
  threads?: number;
}

export function addInferenceOptions(command: Command): Command {
  return command
    .addOption(new Option('--engine <name>', 'engine of the frozen forward passes: auto = ONNX Runtime where it loads, else TensorFlow.js (default auto)').choices(INFERENCE_ENGINES))
    .addOption(new Option('--provider <name>', 'ONNX Runtime execution provider: auto = the fastest that passes its probe (default auto)').choices(PROVIDER_CHOICES))
    .option('--threads <n>', 'ONNX Runtime threads (default: physical cores)', parsePositiveInt);
}

export function inferenceFromOptions(options: InferenceCommandOptions): InferenceRequest {
  return {
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
}
