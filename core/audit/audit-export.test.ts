import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../store/database.js';
import { verifyAuditExport } from './audit-export.js';

const N = 10;

describe('audit export', () => {
  let dir: string;
  let store: Store;
  let exported: string;
  let lines: string[];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-export-'));
    store = openStore(path.join(dir, 'home'), { create: true });
    store.transaction(() => {
      for (let i = 1; i <= N; i++) {
        store.audit.append({ actor: 'alice', role: i === 3 ? 'security-officer' : null, action: 'cert.issue', inputs: { csr: `csr-${i}` }, details: { serial: String(i) } }, new Date(Date.UTC(2026, 0, i)));
      }
    });
    exported = path.join(dir, 'trail.jsonl');
    const r = store.audit.export(exported);
    assert.deepEqual(r, { path: exported, entries: N, head: store.audit.head() });
    lines = fs.readFileSync(exported, 'utf8').trimEnd().split('\n');
  });
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a modified copy of the export and verifies it. */
  const verifyCopy = (edit: (ls: string[]) => string[]) => {
    const copy = path.join(dir, `copy-${Math.random().toString(16).slice(2)}.jsonl`);
    fs.writeFileSync(copy, `${edit([...lines]).join('\n')}\n`);
    return verifyAuditExport(copy);
  };
  const editLine = (seq: number, change: (e: Record<string, unknown>) => void) => (ls: string[]) => {
    const e = JSON.parse(ls[seq]) as Record<string, unknown>;
    change(e);
    ls[seq] = JSON.stringify(e);
    return ls;
  };

  test('the file is a header line and one line per entry, with signatures', () => {
    assert.equal(lines.length, N + 1);
    const header = JSON.parse(lines[0]);
    const pub = store.audit.publicKey()!;
    assert.deepEqual(header, {
      format: 'coldroot-audit-export',
      version: 1,
      home: store.home,
      auditPublicKey: pub.pem,
      auditKeyFingerprint: pub.fingerprint,
      head: store.audit.head(),
    });
    assert.deepEqual(JSON.parse(lines[3]), store.audit.get(3));
  });

  test('verifies on its own, with the same result as the database', () => {
    const report = verifyAuditExport(exported);
    assert.deepEqual(report, store.audit.verify());
    assert.equal(report.ok, true);
  });

  test('checks the signing key against a fingerprint the auditor holds', () => {
    const fp = store.audit.publicKey()!.fingerprint;
    assert.equal(verifyAuditExport(exported, { expectedKeyFingerprint: fp.toUpperCase().match(/../g)!.join(':') }).ok, true);
    assert.deepEqual(verifyAuditExport(exported, { expectedKeyFingerprint: 'ab'.repeat(32) }), {
      ok: false,
      entries: 0,
      firstBadSeq: 1,
      problem: 'bad-signature',
      message: `the export is signed by audit key ${fp}, not the expected ${'ab'.repeat(32)}`,
    });
  });

  test('never overwrites a file', () => {
    const before = fs.readFileSync(exported);
    assert.throws(() => store.audit.export(exported), {
      code: 'OUTPUT_EXISTS',
      message: `The export file ${exported} already exists`,
      hint: 'Choose a new file name; Coldroot never overwrites an export',
    });
    assert.deepEqual(fs.readFileSync(exported), before);
  });

  test('an edited entry fails', () => {
    assert.deepEqual(verifyCopy(editLine(4, (e) => (e.details = { serial: '99' }))), {
      ok: false, entries: N, firstBadSeq: 4, problem: 'edited', message: 'entry 4 was edited: its hash does not match its contents',
    });
  });

  test('a removed entry fails', () => {
    assert.deepEqual(verifyCopy((ls) => ls.filter((_, i) => i !== 6)), {
      ok: false, entries: N - 1, firstBadSeq: 6, problem: 'removed', message: 'entry 6 is missing: entry 7 follows entry 5',
    });
  });

  test('two lines swapped fail as reordered', () => {
    assert.deepEqual(verifyCopy((ls) => [ls[0], ls[1], ls[5], ls[3], ls[4], ls[2], ...ls.slice(6)]), {
      ok: false, entries: N, firstBadSeq: 2, problem: 'reordered', message: 'entry 5 is out of order: it comes where entry 2 belongs',
    });
  });

  test('the last entries cut off fail as truncated', () => {
    assert.deepEqual(verifyCopy((ls) => ls.slice(0, 8)), {
      ok: false, entries: 7, firstBadSeq: 8, problem: 'truncated', message: 'entries after 7 were removed: the signed head says 10',
    });
  });

  test('a corrupted signature fails', () => {
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    assert.equal((verifyCopy(editLine(9, (e) => (e.signature = flip(e.signature as string)))) as { problem: string }).problem, 'bad-signature');
  });

  test("a header whose key was swapped for the forger's fails", () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const r = verifyCopy(editLine(0, (h) => (h.auditPublicKey = other)));
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^the header's key fingerprint [0-9a-f]{64} is not that of its public key \([0-9a-f]{64}\)$/);
  });

  test('a malformed file is refused with the line number', () => {
    assert.throws(() => verifyCopy(editLine(2, (e) => (e.extra = 1))), {
      code: 'AUDIT_EXPORT_INVALID',
      message: /copy-[0-9a-f]+\.jsonl line 3: line: Unrecognized key: "extra"$/,
    });
    assert.throws(() => verifyCopy((ls) => [ls[0], '{not json', ...ls.slice(2)]), { code: 'AUDIT_EXPORT_INVALID', message: /line 2: not JSON/ });
    assert.throws(() => verifyCopy((ls) => [ls[0].replace('coldroot-audit-export', 'something-else'), ...ls.slice(1)]), { code: 'AUDIT_EXPORT_INVALID', message: /line 1: format: / });
  });
});
