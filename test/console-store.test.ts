// The renderer's store, made from its factory with a fake API (no browser, no host): paging and
// stale answers, the first-run switch, long calls with progress, and secrets never kept in state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiResult, ConsoleClient, OpName } from '../core/api/contract.js';
import type { ConsoleTransport } from '../renderer/src/api/console-transport.js';
import { createConsoleStore } from '../renderer/src/store/console-store.js';
import { PAGE_SIZE } from '../renderer/src/store/certificates-slice.js';

type Call = { op: OpName; input: any; callId?: string };
type Handler = (input: any, callId?: string) => Promise<ApiResult<any>> | ApiResult<any>;

/** A transport whose operations are answered by the test; every call is recorded. */
function fakeTransport(answers: Partial<Record<OpName, Handler>>): ConsoleTransport & { calls: Call[] } {
  const calls: Call[] = [];
  const client = new Proxy({} as ConsoleClient, {
    get: (_t, op: string) => async (input: unknown, call?: { callId?: string }) => {
      calls.push({ op: op as OpName, input, callId: call?.callId });
      const h = answers[op as OpName];
      return h ? h(input, call?.callId) : { ok: false, error: { code: 'NOT_FAKED', message: op, hint: '' } };
    },
  });
  return { kind: 'browser', client, calls, stage: async () => ({ ok: false, error: { code: 'NOT_FAKED', message: 'stage', hint: '' } }) };
}

const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value });
const row = (i: number) => ({ caId: 'ca', issuer: 'CN=CA', serial: i.toString(16), subject: `CN=host-${i}`, sans: [], profile: 'tls-server', notBefore: 'x', notAfter: 'y', issuedAt: 'z', state: 'valid', revokedAt: null, revocationReason: null, fingerprintSha256: 'f', risk: null });
const page = (input: { offset: number; limit: number }, total: number) => ok({ total, offset: input.offset, tookMs: 1, rows: Array.from({ length: Math.max(0, Math.min(input.limit, total - input.offset)) }, (_, i) => row(input.offset + i)) });
const session = (firstRun: boolean) => ok({ home: '/h', operator: 'op', host: 'browser', version: '1', cas: firstRun ? 0 : 1, certificates: 0, firstRun });

describe('console store', () => {
  test('a fresh home switches to the first-run screen until the operator leaves it', async () => {
    const store = createConsoleStore(fakeTransport({ session: () => session(true) }));
    await store.getState().loadSession();
    assert.equal(store.getState().screen, 'first-run');
    store.getState().dismissFirstRun();
    await store.getState().loadSession();
    assert.equal(store.getState().screen, 'overview');
    const other = createConsoleStore(fakeTransport({ session: () => session(false) }));
    await other.getState().loadSession();
    assert.equal(other.getState().screen, 'overview');
  });

  test('certificates are fetched a page at a time, each page once, with the filter applied by the server', async () => {
    const t = fakeTransport({ queryCertificates: (input) => page(input, 1_000_000) });
    const store = createConsoleStore(t);
    await store.getState().setCertFilter({ text: 'web', state: 'valid' });
    assert.deepEqual(t.calls.map((c) => c.input), [{ sort: 'notAfter', order: 'asc', text: 'web', state: 'valid', offset: 0, limit: PAGE_SIZE }]);
    assert.equal(store.getState().certTotal, 1_000_000);
    await Promise.all([store.getState().ensureCertRows(450_010, 450_060), store.getState().ensureCertRows(450_020, 450_090)]);
    const offsets = t.calls.slice(1).map((c) => c.input.offset);
    assert.deepEqual(offsets, [Math.floor(450_010 / PAGE_SIZE) * PAGE_SIZE], 'the page was asked for once');
    assert.equal(store.getState().certPages[Math.floor(450_010 / PAGE_SIZE)][10].subject, `CN=host-${450_010}`);
  });

  test('an answer to an older filter is dropped when a newer one was asked for', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => { release = r; });
    const t = fakeTransport({
      queryCertificates: async (input) => {
        if (input.text === 'old') await slow;
        return page(input, input.text === 'old' ? 500 : 3);
      },
    });
    const store = createConsoleStore(t);
    const older = store.getState().setCertFilter({ text: 'old' });
    await store.getState().setCertFilter({ text: 'new' });
    release();
    await older;
    assert.equal(store.getState().certTotal, 3);
    assert.equal(store.getState().certPages[0].length, 3);
  });

  test('PINs and passphrases go out with their one call and are never kept in the store', async () => {
    const created = { id: 'root', name: 'CN=R', kind: 'root', status: 'active', parentId: null, subject: 'CN=R', serial: '01', notBefore: null, notAfter: null, keyUri: 'pkcs11:token=t', keyAlgorithm: 'ecdsa-p256', certificatePem: null };
    const t = fakeTransport({
      createRootCa: () => ok(created), createIntermediateCa: () => ok(created), publishCrl: () => ({ ok: false, error: { code: 'PIN_INCORRECT', message: 'wrong PIN', hint: 'retry' } }),
      overview: () => ok({ cas: [], certificates: {}, expiringSoon: [], recentImports: [], renewalRequests: {}, risk: {}, audit: {} }), session: () => session(false),
    });
    const store = createConsoleStore(t);
    const draft = { kind: 'root' as const, name: 'CN=R', algorithm: 'ecdsa-p256' as const, keyStorage: 'pkcs11' as const, modulePath: '/m.so', tokenLabel: 't' };
    await store.getState().createRootCa({ draft, keySecret: 'PIN-1111-secret' });
    await store.getState().createIntermediateCa({ draft: { ...draft, kind: 'intermediate', parentId: 'root' }, keySecret: 'PIN-2222-secret', parentSecret: { pin: 'PIN-3333-secret' } });
    const failed = await store.getState().publishCrl({ caId: 'root', secret: { pin: 'PIN-4444-secret' } });
    assert.equal(!failed.ok && failed.error.code, 'PIN_INCORRECT');
    assert.equal(t.calls.find((c) => c.op === 'createRootCa')!.input.keySecret, 'PIN-1111-secret', 'the secret was sent');
    const state = JSON.stringify(store.getState(), (_k, v) => (typeof v === 'function' ? undefined : v));
    for (const s of ['PIN-1111', 'PIN-2222', 'PIN-3333', 'PIN-4444']) assert.ok(!state.includes(s), `${s} is not in the store`);
  });

  test('the demo fleet shows progress from the host while it runs, then opens the overview', async () => {
    let step = 0;
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    const t = fakeTransport({
      loadDemoFleet: async () => { await done; return ok({ rootCaId: 'r', deviceCaId: 'd', hosts: 5, certificates: 13, revoked: 2, bundlesImported: 4, metricRows: 100, inbox: '/i', passphrase: 'p' }); },
      progress: () => ok({ done: ++step, total: 9, message: `step ${step}` }),
      overview: () => ok({ cas: [] }), session: () => session(false),
    });
    const store = createConsoleStore(t);
    const run = store.getState().loadDemoFleet(5);
    while (!store.getState().demo.progress) await new Promise((r) => setTimeout(r, 20));
    assert.match(store.getState().demo.progress!.message, /^step \d+$/);
    const callId = t.calls.find((c) => c.op === 'loadDemoFleet')!.callId;
    assert.ok(callId && t.calls.filter((c) => c.op === 'progress').every((c) => c.input.callId === callId), 'progress is asked for the same call');
    finish();
    await run;
    assert.equal(store.getState().demo.progress, null);
    assert.equal(store.getState().demo.value?.certificates, 13);
    assert.equal(store.getState().screen, 'overview');
  });

  test('an import keeps each outcome, drops the imported files from the list and reloads the quarantine', async () => {
    const t = fakeTransport({
      importBundles: (input) => ok(input.stagedIds.map((id: string) => (id === 'a'.repeat(32)
        ? { name: 'good.tar', status: 'accepted', bundleId: 'b', type: 'metrics', producer: 'CN=p', sequence: 1, records: 5, sha256: 's' }
        : { name: 'bad.tar', status: 'rejected', code: 'BUNDLE_HASH_MISMATCH', check: 'integrity', message: 'm', hint: 'h', quarantine: 'quarantine/x.bundle' }))),
      listQuarantine: () => ok([{ file: 'bad.tar', bundle: 'quarantine/x.bundle', sha256: 's', rejectedAt: 't', operator: 'o', check: 'integrity', code: 'BUNDLE_HASH_MISMATCH', message: 'm', hint: 'h' }]),
      listBundles: () => ok([]), overview: () => ok({ cas: [] }), progress: () => ok(null),
    });
    const store = createConsoleStore(t);
    store.setState({ staged: [{ id: 'a'.repeat(32), name: 'good.tar', size: 1, sha256: 'x' }, { id: 'b'.repeat(32), name: 'bad.tar', size: 1, sha256: 'y' }, { id: 'c'.repeat(32), name: 'later.tar', size: 1, sha256: 'z' }] });
    await store.getState().importStaged(['a'.repeat(32), 'b'.repeat(32)]);
    assert.deepEqual(store.getState().importRun.value!.map((o) => o.status), ['accepted', 'rejected']);
    assert.deepEqual(store.getState().staged.map((s) => s.name), ['later.tar']);
    assert.equal(store.getState().quarantine.value![0].code, 'BUNDLE_HASH_MISMATCH');
  });
});
