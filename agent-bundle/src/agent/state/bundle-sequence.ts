import { readFile } from 'node:fs/promises';
import { writeFileAtomic, type DurableFs } from './atomic-file.js';
import type { StateLayout } from './state-layout.js';

/**
 * The agent's per-producer bundle sequence numbers (metrics, risk reports and renewal requests
 * share them: the console refuses a (producer, sequence) it has seen). The next number is made
 * durable before it is used, so a crash can skip a number but never reuse one.
 */
export async function nextBundleSequence(layout: StateLayout, producerSha256: string, fs?: DurableFs): Promise<number> {
  const file = layout.sequence;
  let counters: Record<string, number> = {};
  try {
    counters = JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const next = (counters[producerSha256] ?? 0) + 1;
  await writeFileAtomic(file, `${JSON.stringify({ ...counters, [producerSha256]: next }, null, 2)}\n`, { fs });
  return next;
}
