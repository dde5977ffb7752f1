/**
 * `jobs.export` and `jobs.import`: a run handed to PyTorch's torchrun as a job folder, and a finished
 * job brought back as a run. As with the model calls, the engine checks the caller's paths first
 * (`prepare…`); the work — scanning folders, copying weights, parsing a job's files, which are hostile
 * input — runs as a model job, in a worker process where the host has one.
 */
import path from 'node:path';
import type { CallParams, CallResult } from '../../common/contract';
import type { ModelJob, ModelJobOptions } from '../../common/trainerMessages';
import { assertClassLinksAllowed } from '../dataset/imageFolderListing';
import { exportJob } from '../job/exportJob';
import { importJob } from '../job/importJob';
import type { PathChecker } from './pathPolicy';

type JobCall = Extract<ModelJob, { kind: 'jobExport' | 'jobImport' }>;

export async function prepareJobExport(params: CallParams<'jobs.export'>, paths: PathChecker, runFolder: (runId: string) => Promise<string>): Promise<JobCall> {
  // The destination first: a folder the caller may not write is refused before anything else is looked at.
  const out = await paths.writable(params.out, 'the job folder');
  const force = params.force ?? false;
  if (params.runId !== undefined) return { kind: 'jobExport', run: await runFolder(params.runId), out, force };
  const config = params.config as NonNullable<typeof params.config>;
  // The job lists the folders (its split) in a worker, without the caller's policy: check them here.
  for (const root of [config.trainDir, config.testDir]) {
    if (root === undefined) continue;
    const folder = await paths.existing(root, 'folder', 'The image folder', 'list');
    await assertClassLinksAllowed(path.normalize(folder), (target) => paths.mayRead(target));
  }
  return { kind: 'jobExport', config, out, force };
}

export async function prepareJobImport(params: CallParams<'jobs.import'>, paths: PathChecker): Promise<JobCall> {
  return { kind: 'jobImport', folder: await paths.existing(params.folder, 'folder', 'The job folder') };
}

export async function runJobCall(job: JobCall, options: ModelJobOptions): Promise<CallResult<'jobs.export'> | CallResult<'jobs.import'>> {
  if (job.kind === 'jobImport') return importJob(job.folder, options.runsRoot !== undefined ? { runsRoot: options.runsRoot } : {});
  const result = await exportJob({
    ...(job.run !== undefined ? { run: job.run } : {}),
    ...(job.config !== undefined ? { config: job.config } : {}),
    out: job.out,
    force: job.force,
    ...(options.runsRoot !== undefined ? { runsRoot: options.runsRoot } : {}),
    ...(options.weightsFolder !== undefined ? { weightsOptions: { folder: options.weightsFolder } } : {}),
  });
  return { folder: result.folder, id: result.id, files: result.files, images: result.images, weights: result.weights };
}
