import { sign, type KeyObject } from 'node:crypto';
import { badSignatures, processRequests, type BatchSpec, type RequestItem } from './request-processor.js';
import { serveTasks } from '../../threads/task-server.js';

/** The work a batch hands to a thread: render (and sign) requests, sign prepared data, or check a token's signatures. */
export type BatchTask =
  | { kind: 'process'; spec: BatchSpec; key: KeyObject | null; items: RequestItem[] }
  | { kind: 'sign'; key: KeyObject; hash: string | null; tbs: Uint8Array[] }
  | { kind: 'verify'; signatureOid: string; issuerSpki: Uint8Array; tbs: Uint8Array[]; signatures: Uint8Array[] };

export function runBatchTask(task: BatchTask): unknown {
  switch (task.kind) {
    case 'process': return processRequests(task.spec, task.items, task.key);
    case 'sign': return task.tbs.map((t) => new Uint8Array(sign(task.hash, t, { key: task.key, dsaEncoding: 'der' })));
    case 'verify': return badSignatures(task.signatureOid, task.issuerSpki, task.tbs, task.signatures);
  }
}

serveTasks(runBatchTask);
