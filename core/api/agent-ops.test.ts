import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConsoleService } from './console-service.js';
import { api, type ApiResult, type Out } from './contract.js';
import { ConsoleDispatcher } from './dispatcher.js';
import { StagingArea } from './staging-area.js';

const PASS = 'agent ops test passphrase';
const SIGNER = 'agent ops signer passphrase';
const NOW = new Date('2026-11-25T05:00:00Z');
const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const error = (r: ApiResult<unknown>) => (r.ok ? null : r.error);

describe('agent operations: input validation, review, output folder', () => {
  let dir: string;
  let svc: ConsoleService;
  let d: ConsoleDispatcher;
  const good = () => ({ caId: 'ops-issuing-ca', caSecret: { passphrase: PASS }, signerSecret: { passphrase: SIGNER }, hosts: ['web-01.fleet.example'] });
  const exportsDir = () => join(svc.store.home, 'exports');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-ops-'));
    svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'tester', create: true, now: () => NOW });
    svc.initialize();
    d = new ConsoleDispatcher(svc, { staging: new StagingArea(join(dir, 'stage'), 1024 * 1024), host: 'browser', version: 'test' });
    value(await d.dispatch('createRootCa', { draft: { kind: 'root', name: 'CN=Ops Root CA', algorithm: 'ecdsa-p256', keyStorage: 'software' }, keySecret: PASS }));
    value(await d.dispatch('createIntermediateCa', { draft: { kind: 'intermediate', parentId: 'ops-root-ca', name: 'CN=Ops Issuing CA', algorithm: 'ecdsa-p256', keyStorage: 'software' }, keySecret: PASS, parentSecret: { passphrase: PASS } }));
  });
  after(() => {
    svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the new operations are in the contract with the right access', () => {
    assert.equal(api.renewalCounters.access, 'read');
    assert.equal(api.previewAgentPackages.access, 'read');
    assert.equal(api.generateAgentPackages.access, 'write');
  });

  test('hosts: none, more than 1000, not a DNS name, listed twice, or an unknown field are refused by name; secrets never echoed', async () => {
    assert.deepEqual(error(await d.dispatch('generateAgentPackages', { ...good(), hosts: [] })),
      { code: 'INPUT_INVALID', message: 'generateAgentPackages: hosts: name at least one host', hint: 'Correct the highlighted field and try again' });
    const many = Array.from({ length: 1001 }, (_, i) => `h${i}.fleet.example`);
    assert.equal(error(await d.dispatch('generateAgentPackages', { ...good(), hosts: many }))?.message, 'generateAgentPackages: hosts: one run packages at most 1000 hosts');
    assert.deepEqual(error(await d.dispatch('generateAgentPackages', { ...good(), hosts: ['web-01.fleet.example', 'bad_host!'] })),
      { code: 'AGENT_DEVICE_INVALID', message: 'hosts: device 2 has host "bad_host!", which is not a DNS host name', hint: 'Use names such as web-01.fleet.example' });
    assert.equal(error(await d.dispatch('previewAgentPackages', { caId: 'ops-issuing-ca', hosts: ['-lead.example'] }))?.code, 'AGENT_DEVICE_INVALID');
    assert.equal(error(await d.dispatch('generateAgentPackages', { ...good(), hosts: ['a.example', 'A.example'] }))?.code, 'AGENT_DEVICE_DUPLICATE');
    const extra = await d.dispatch('generateAgentPackages', { ...good(), caSecret: { passphrase: 'hunter2-secret-value' }, overwrite: true });
    assert.equal(error(extra)?.message, 'generateAgentPackages: (input): Unrecognized key: "overwrite"');
    assert.ok(!JSON.stringify(extra).includes('hunter2'), 'the secret is not echoed');
    assert.equal(error(await d.dispatch('generateAgentPackages', { ...good(), thresholdDays: 0 }))?.code, 'INPUT_INVALID');
    assert.equal(error(await d.dispatch('generateAgentPackages', { ...good(), bootstrapValidity: '3 years' }))?.code, 'INPUT_INVALID');
    assert.equal(existsSync(exportsDir()), false, 'a refused run makes no folder');
  });

  test('without a bundle-signing identity the review and the run are refused before anything is written', async () => {
    assert.equal(error(await d.dispatch('previewAgentPackages', { caId: 'ops-issuing-ca', hosts: ['a.example'] }))?.code, 'BUNDLE_SIGNER_MISSING');
    assert.equal(error(await d.dispatch('generateAgentPackages', good()))?.code, 'BUNDLE_SIGNER_MISSING');
    assert.equal(existsSync(exportsDir()), false);
  });

  test('the review shows what is then signed; packages go to a new folder under exports/ and are never overwritten', async () => {
    value(await d.dispatch('createBundleSigner', { caId: 'ops-issuing-ca', caSecret: { passphrase: PASS }, keyStorage: 'software', keySecret: SIGNER }));
    assert.equal(error(await d.dispatch('previewAgentPackages', { caId: 'ops-issuing-ca', hosts: ['a.example'], bootstrapValidity: '2000d' }))?.code, 'VALIDITY_TOO_LONG');
    const preview = value(await d.dispatch('previewAgentPackages', { caId: 'ops-issuing-ca', hosts: ['web-01.fleet.example'], thresholdDays: 14 })) as Out<'previewAgentPackages'>;
    assert.equal(preview.profile, 'device-bootstrap');
    assert.equal(preview.validity, '1095d');
    assert.equal(preview.thresholdDays, 14);
    assert.deepEqual(preview.hosts, [{ host: 'web-01.fleet.example', subject: 'CN=web-01.fleet.example', dns: ['web-01.fleet.example'] }]);
    assert.deepEqual(preview.anchors.map((a) => a.caId), ['ops-root-ca'], 'CA and signer share one root');

    const r = value(await d.dispatch('generateAgentPackages', { ...good(), thresholdDays: 14 })) as Out<'generateAgentPackages'>;
    assert.equal(r.folder, join(exportsDir(), 'agent-packages-20261125T050000Z'));
    assert.equal(statSync(exportsDir()).mode & 0o777, 0o700);
    assert.deepEqual(r.packages.map((p) => p.path), [join(r.folder, 'web-01.fleet.example.agent-package')]);
    assert.equal(statSync(r.packages[0].path).mode & 0o777, 0o600);
    assert.deepEqual(r.anchors, preview.anchors);
    assert.equal(r.packages[0].bootstrap.notBefore, preview.notBefore);
    assert.equal(r.packages[0].bootstrap.notAfter, preview.notAfter);
    assert.match(readFileSync(r.packages[0].path).toString('latin1'), /"thresholdDays": 14/);

    const before = readFileSync(r.packages[0].path);
    assert.equal(error(await d.dispatch('generateAgentPackages', good()))?.code, 'OUTPUT_EXISTS');
    assert.deepEqual(readFileSync(r.packages[0].path), before, 'the first package is untouched');
    assert.deepEqual(readdirSync(r.folder), ['web-01.fleet.example.agent-package']);

    const counters = value(await d.dispatch('renewalCounters', {})) as Out<'renewalCounters'>;
    assert.deepEqual({ received: counters.received, issued: counters.issued, rejected: counters.rejected, codes: counters.rejectionCodes }, { received: 0, issued: 0, rejected: 0, codes: {} });
  });
});
