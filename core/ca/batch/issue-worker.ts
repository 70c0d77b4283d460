import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { badSignatures, RequestProcessor, type BatchSpec, type RequestItem } from './request-processor.js';

// One thread of a batch: requests in, signed (or signable) TBS out; or signatures in, verdicts out.
const { spec, key, signatureOid, issuerKey } = workerData as { spec: BatchSpec; key: KeyObject | null; signatureOid: string; issuerKey: KeyObject };
const processor = new RequestProcessor(spec, key);

parentPort!.on('message', (msg: { id: number; process?: RequestItem[]; verify?: { tbs: Uint8Array[]; signatures: Uint8Array[] } }) => {
  if (msg.process) parentPort!.postMessage({ id: msg.id, result: processor.process(msg.process) });
  else if (msg.verify) parentPort!.postMessage({ id: msg.id, result: badSignatures(signatureOid, issuerKey, msg.verify.tbs, msg.verify.signatures) });
});
