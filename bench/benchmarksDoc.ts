/**
 * docs/benchmarks.md is shared by several bench scripts; each owns one `## ` section and replaces
 * only that one with `--write`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src-main/node/io/atomicWrite';

export const BENCHMARKS_DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** Replace the section starting with `heading` (a `## ` line) by `section`, or append it. */
export async function replaceBenchmarkSection(heading: string, section: string): Promise<void> {
  let doc = await readFile(BENCHMARKS_DOC, 'utf8').catch(
    () => '# Benchmarks\n\nMeasured by the scripts in `bench/`; each section names its machine, date and command.\n',
  );
  const start = doc.indexOf(`${heading}\n`);
  if (start < 0) {
    doc = `${doc.trimEnd()}\n\n${section}`;
  } else {
    const next = doc.indexOf('\n## ', start + heading.length);
    doc = doc.slice(0, start) + section + (next < 0 ? '' : `\n${doc.slice(next + 1)}`);
  }
  await writeFileAtomic(BENCHMARKS_DOC, doc);
}
