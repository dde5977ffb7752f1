/**
 * Fetches the torchvision ImageNet checkpoint(s) the installers ship, so that an offline lab's first
 * run needs no download. The release workflow runs it before electron-builder, whose
 * `extraResources` copies `bundled-weights/` to `<resources>/weights`, where the engine looks before
 * the network (weights/weightsStore.ts). The download is the engine's own: resume, and the SHA-256
 * checked against the catalog (the hash prefix in torchvision's file name, what torch.hub checks) or
 * a full hash given with --sha256. Exits 1 with the reason when the file is not the expected one.
 *   npx tsx build/fetchBundledWeights.ts [--depth 18 ...] [--out bundled-weights] [--base-url URL] [--sha256 HEX]
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDepth } from '../src-main/node/cli/usage';
import { downloadFile } from '../src-main/node/weights/download';
import { requirePretrainedWeights, weightsBaseUrl } from '../src-main/node/weights/weightsStore';

const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      depth: { type: 'string', multiple: true, default: ['18'] },
      out: { type: 'string', default: path.join(PROJECT_DIR, 'bundled-weights') },
      'base-url': { type: 'string' },
      sha256: { type: 'string' },
    },
    strict: true,
  });
  if (values.sha256 !== undefined && (!/^[0-9a-f]{64}$/i.test(values.sha256) || values.depth.length !== 1)) {
    throw new Error('--sha256 takes the full SHA-256 (64 hex digits) of the one checkpoint named by --depth');
  }
  for (const depthText of values.depth) {
    const weights = requirePretrainedWeights(parseDepth(depthText), 'IMAGENET1K_V1');
    const expected = (values.sha256 ?? weights.sha256Prefix).toLowerCase();
    const dest = path.join(path.resolve(values.out), weights.fileName);
    const present = await stat(dest).then((info) => info.isFile(), () => false);
    if (present && (await sha256OfFile(dest)).startsWith(expected)) {
      console.log(`${weights.fileName}: already in ${path.dirname(dest)}, SHA-256 checked`);
      continue;
    }
    const url = `${weightsBaseUrl(values['base-url'])}/${weights.fileName}`;
    const result = await downloadFile(url, dest, { expectedSha256Prefix: expected, timeoutMs: 120_000 });
    console.log(`${weights.fileName}: ${result.bytes} bytes from ${url}, SHA-256 ${result.sha256} (expected ${expected})`);
  }
}

main().catch((error: unknown) => {
  console.error(`fetchBundledWeights: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
