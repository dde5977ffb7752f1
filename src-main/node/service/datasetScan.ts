/** `dataset.scan`: the scan report of a train folder and optionally a test folder, as the CLI prints it. */
import type { CallParams, CallResult } from '../../common/contract';
import { scanImageFolder } from '../dataset/scanImageFolder';
import { scanSummary } from '../dataset/scanSummary';
import type { PathChecker } from './pathPolicy';

export async function scanDataset(params: CallParams<'dataset.scan'>, paths: PathChecker): Promise<CallResult<'dataset.scan'>> {
  const trainRoot = await paths.existing(params.train, 'folder', 'The train folder');
  const testRoot = params.test !== undefined ? await paths.existing(params.test, 'folder', 'The test folder') : undefined;
  // A class folder linked from the root is followed only where the caller may read.
  const options = { mayRead: (target: string) => paths.mayRead(target) };
  const train = await scanImageFolder(trainRoot, options);
  const test = testRoot !== undefined ? await scanImageFolder(testRoot, options) : undefined;
  return scanSummary(train, test);
}
