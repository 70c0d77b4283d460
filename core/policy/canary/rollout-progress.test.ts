import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planPayload } from '../../bundles/payload-plan.js';
import type { Manifest } from '../../bundles/bundle-format.js';
import { BundleRejection } from '../../bundles/bundle-rejection.js';
import { ROLLOUT_PROGRESS_SCHEMA_V1, RolloutProgressFileSchema } from './rollout-progress.js';

const report = {
  host: 'web-01.fleet.example', planId: 'web-2026', policy: 'adaptive', state: 'rolled-back', exposurePercent: 0, activeCertificate: 'old',
  oldCertificate: 'a'.repeat(64), newCertificate: 'b'.repeat(64), startedAt: '2026-03-02T06:00:00.000Z', lastChangeAt: '2026-03-02T06:00:10.000Z',
  finishedAt: '2026-03-02T06:00:10.000Z', changes: [{ at: '2026-03-02T06:00:10.000Z', from: 20, to: 0, action: 'rollback', metric: 'target' }],
  lastDecision: { at: '2026-03-02T06:00:10.000Z', action: 'rollback', from: 20, to: 0, metric: 'target', message: 'success rate 70.0% on new' },
  rollbackReason: 'success rate 70.0% on new',
};

function manifest(files: Array<{ name: string; schema?: string }>): Manifest {
  return { type: 'metrics', files: files.map((f) => ({ ...f, size: 1, sha256: '0'.repeat(64) })) } as unknown as Manifest;
}

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BundleRejection, String(e));
    return e.message;
  }
  assert.fail('not rejected');
}

describe('coldroot.rollout-progress.v1', () => {
  test('a report parses; unknown keys and bad values are refused with their path', () => {
    assert.equal(RolloutProgressFileSchema.parse({ schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [report] }).rollouts[0].state, 'rolled-back');
    const extra = RolloutProgressFileSchema.safeParse({ schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [{ ...report, exposure: 3 }] });
    assert.equal(extra.success, false);
    assert.deepEqual(extra.error!.issues[0].path, ['rollouts', 0]);
    const fp = RolloutProgressFileSchema.safeParse({ schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [{ ...report, newCertificate: 'B'.repeat(64) }] });
    assert.deepEqual(fp.error!.issues[0].path, ['rollouts', 0, 'newCertificate']);
    assert.equal(fp.error!.issues[0].message, '64 lowercase hex digits');
  });

  test('a metrics bundle may carry rollout.json beside its metrics file, with its schema, never alone', () => {
    assert.deepEqual(planPayload(manifest([{ name: 'metrics.ndjson.gz', schema: 'coldroot.metrics.v1' }, { name: 'rollout.json', schema: ROLLOUT_PROGRESS_SCHEMA_V1 }])), ['metrics', 'rollout-progress']);
    assert.equal(rejection(() => planPayload(manifest([{ name: 'rollout.json', schema: ROLLOUT_PROGRESS_SCHEMA_V1 }]))),
      'manifest.json: a metrics bundle with rollout.json also holds a metrics file');
    assert.equal(rejection(() => planPayload(manifest([{ name: 'metrics.ndjson.gz', schema: 'coldroot.metrics.v1' }, { name: 'rollout.json', schema: 'coldroot.metrics.v1' }]))),
      "manifest.json: rollout.json must declare schema 'coldroot.rollout-progress.v1' (it declares 'coldroot.metrics.v1')");
  });
});
