import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { renewalCounters, type RenewalCounters } from '../core/agents/renewal-counters.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeTestBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { coldroot, homeFingerprint } from './helpers/cli.js';

describe('coldroot agent package / counters (CLI)', () => {
  let kit: BundleTestKit;
  let home: string;
  const counts: RenewalCounters[] = [];
  const env = { CA_PASS: TEST_PASSPHRASE, SIGNER_PASS: 'agent signer passphrase' };
  const file = (name: string) => join(kit.dir, name);
  const run = (...args: string[]) => coldroot(['--home', home, ...args, '--json'], env);

  before(async () => {
    kit = await makeBundleTestKit('coldroot-agent-cli-', new Date(Date.now() - 86_400_000));
    home = join(kit.dir, 'home');
    const device = await kit.device('web-0009.fleet.example');
    const stranger = await kit.foreignDevice('web-0010.fleet.example');
    const next = new SoftwareSigner(derivedKey(13, 'next'), 'ecdsa-p256', 'software:next');
    const requests = await renewalRequestFile([
      { requestId: 'identity', host: device.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(next, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
      { requestId: 'odd', host: device.name, profile: 'no-such-profile', reason: 'manual', csr: await buildCsr(next, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
    ]);
    await writeTestBundle(file('requests.tar'), device, 'renewal-request', 1, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 2, json: requests }]);
    // Signed by a device whose CA this console does not trust: rejected and quarantined, three requests claimed.
    const foreignCsr = await buildCsr(next, `CN=${stranger.name}`);
    const foreign = await renewalRequestFile(['f1', 'f2', 'f3'].map((requestId) => ({ requestId, host: stranger.name, profile: 'device-management', reason: 'expiring' as const, csr: foreignCsr, proof: { kind: 'current-certificate' as const, certificate: stranger.certificate, key: stranger.signer } })));
    await writeTestBundle(file('foreign.tar'), stranger, 'renewal-request', 1, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: foreign.requests.length, json: foreign }]);
    writeFileSync(file('devices.csv'), 'host,dns\nweb-01.fleet.example,web.fleet.example;www.fleet.example\ndb-01.fleet.example,\n');
    // The console's side of a renewal round, in process (the CLI runs of these are tested elsewhere); the counters are read at each step.
    counts.push(renewalCounters(kit.svc.ctx));
    await kit.svc.createBundleSigner({ caId: kit.deviceCa.id, caSecret: { passphrase: TEST_PASSPHRASE }, key: { kind: 'software', passphrase: env.SIGNER_PASS } });
    assert.deepEqual((await kit.svc.importBundles([file('requests.tar'), file('foreign.tar')], {})).map((r) => r.status), ['accepted', 'rejected']);
    counts.push(renewalCounters(kit.svc.ctx));
    await kit.svc.exportRenewalBundle({ out: file('renewal.tar'), caId: kit.deviceCa.id, caSecret: { passphrase: TEST_PASSPHRASE }, signerSecret: { passphrase: env.SIGNER_PASS } });
    kit.svc.close(); // the CLI takes the home's lock from here on
  });
  after(() => kit.close());

  test('agent package from a devices CSV: one package per host, fingerprints for install.sh', () => {
    const r = run('agent', 'package', '--ca', kit.deviceCa.id, '--devices', file('devices.csv'), '--out', file('pkgs'), '--threshold-days', '14', '--passphrase-env', 'CA_PASS', '--signer-passphrase-env', 'SIGNER_PASS', '--no-sea');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json.packages.map((p: { host: string }) => p.host), ['web-01.fleet.example', 'db-01.fleet.example']);
    assert.deepEqual(readdirSync(file('pkgs')).sort(), ['db-01.fleet.example.agent-package', 'web-01.fleet.example.agent-package']);
    assert.equal(statSync(file('pkgs/web-01.fleet.example.agent-package')).mode & 0o777, 0o600);
    assert.deepEqual(r.json.agent.sea, { status: 'skipped', reason: 'not requested' });
    const root = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: kit.root.certificatePem!, encoding: 'utf8' }).stdout.trim().split('=')[1].replace(/:/g, '').toLowerCase();
    assert.deepEqual(r.json.anchors.map((a: { sha256: string }) => a.sha256), [root]);
    const config = JSON.parse(spawnSync('tar', ['-xOf', file('pkgs/web-01.fleet.example.agent-package'), 'config.json'], { encoding: 'utf8' }).stdout);
    assert.deepEqual([config.host, config.renewal], ['web-01.fleet.example', { thresholdDays: 14 }]);
    // The console's own inspection reads the package like any bundle it exported.
    const inspect = run('bundle', 'inspect', file('pkgs/db-01.fleet.example.agent-package'));
    assert.equal(inspect.json.verdict, 'known', inspect.stdout);
    assert.equal(inspect.json.type, 'agent-package');
  });

  test('agent package refuses a devices file with a duplicate host, changing nothing', () => {
    writeFileSync(file('dup.json'), JSON.stringify([{ host: 'a.fleet.example' }, 'A.fleet.example']));
    const fp = homeFingerprint(home);
    const r = run('agent', 'package', '--ca', kit.deviceCa.id, '--devices', file('dup.json'), '--out', file('dup'), '--passphrase-env', 'CA_PASS', '--signer-passphrase-env', 'SIGNER_PASS');
    assert.equal(r.code, 2);
    assert.deepEqual(r.json.error, { code: 'AGENT_DEVICE_DUPLICATE', message: `${file('dup.json')}: host 'A.fleet.example' is listed twice`, hint: 'Each host gets one package; remove the duplicate' });
    assert.equal(homeFingerprint(home), fp);
  });

  test('agent counters: received, validated, issued and rejected, the quarantine included', () => {
    const pick = (c: RenewalCounters) => ({ received: c.received, validated: c.validated, pending: c.pending, issued: c.issued, rejected: c.rejected, inQuarantine: c.rejectedInQuarantine, bundles: c.bundles });
    assert.deepEqual(pick(counts[0]), { received: 0, validated: 0, pending: 0, issued: 0, rejected: 0, inQuarantine: 0, bundles: { imported: 0, quarantined: 0 } });
    // Two requests accepted; a bundle of three from an untrusted device quarantined.
    assert.deepEqual(pick(counts[1]), { received: 5, validated: 2, pending: 2, issued: 0, rejected: 3, inQuarantine: 3, bundles: { imported: 1, quarantined: 1 } });
    const end = run('agent', 'counters');
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(pick(end.json), { received: 5, validated: 2, pending: 0, issued: 1, rejected: 4, inQuarantine: 3, bundles: { imported: 1, quarantined: 1 } });
    assert.deepEqual([end.json.rejectedAnswered, end.json.rejectionCodes, end.json.byProof], [1, { UNKNOWN_PROFILE: 1 }, { 'current-certificate': 2 }]);
    const text = coldroot(['--home', home, 'agent', 'counters'], env);
    assert.match(text.stdout, /^renewal requests received {3}5$/m);
    assert.match(text.stdout, /^ {2}rejected {18}4 {2}\(1 answered as rejected, 3 in 1 quarantined bundles\)$/m);
  });
});
