import type { Database } from 'better-sqlite3';
import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from '../keys/key-algorithm.js';

export interface CaRecord {
  id: string;
  name: string;
  parentId: string | null;
  kind: 'root' | 'intermediate';
  status: 'active' | 'awaiting-certificate';
  keyUri: string;
  keyAlgorithm: KeyAlgorithm;
  publicKeySpki: Uint8Array;
  csrDer: Uint8Array | null;
  certificateDer: Uint8Array | null;
  subject: string;
  serial: string | null;
  notBefore: string | null;
  notAfter: string | null;
  ski: string | null;
  pathLen: number | null;
  crlNumber: number;
  crlUrl: string | null;
  ocspUrl: string | null;
  caIssuersUrl: string | null;
  createdAt: string;
}

interface CaRow {
  id: string; name: string; parent_id: string | null; kind: CaRecord['kind']; status: CaRecord['status'];
  key_uri: string; key_algorithm: KeyAlgorithm; public_key_spki: Buffer; csr_der: Buffer | null; certificate_der: Buffer | null;
  subject: string; serial: string | null; not_before: string | null; not_after: string | null; ski: string | null;
  path_len: number | null; crl_number: number; crl_url: string | null; ocsp_url: string | null; ca_issuers_url: string | null; created_at: string;
}

const bytes = (b: Buffer | null) => (b ? new Uint8Array(b) : null);

function fromRow(r: CaRow): CaRecord {
  return {
    id: r.id, name: r.name, parentId: r.parent_id, kind: r.kind, status: r.status, keyUri: r.key_uri, keyAlgorithm: r.key_algorithm,
    publicKeySpki: new Uint8Array(r.public_key_spki), csrDer: bytes(r.csr_der), certificateDer: bytes(r.certificate_der),
    subject: r.subject, serial: r.serial, notBefore: r.not_before, notAfter: r.not_after, ski: r.ski, pathLen: r.path_len,
    crlNumber: r.crl_number, crlUrl: r.crl_url, ocspUrl: r.ocsp_url, caIssuersUrl: r.ca_issuers_url, createdAt: r.created_at,
  };
}

export function findCa(db: Database, id: string): CaRecord | null {
  const row = db.prepare('SELECT * FROM cas WHERE id = ?').get(id) as CaRow | undefined;
  return row ? fromRow(row) : null;
}

export function getCa(db: Database, id: string): CaRecord {
  const ca = findCa(db, id);
  if (!ca) throw new ColdrootError('CA_NOT_FOUND', `No CA with id '${id}' in this home`, 'List the CAs with: coldroot ca list');
  return ca;
}

export function listCas(db: Database): CaRecord[] {
  return (db.prepare('SELECT * FROM cas ORDER BY created_at, id').all() as CaRow[]).map(fromRow);
}

export function caNameTaken(db: Database, name: string): boolean {
  return !!db.prepare('SELECT 1 FROM cas WHERE name = ? COLLATE NOCASE').get(name);
}

export function caIdTaken(db: Database, id: string): boolean {
  return !!db.prepare('SELECT 1 FROM cas WHERE id = ?').get(id);
}

export function insertCa(db: Database, ca: CaRecord): void {
  db.prepare(`INSERT INTO cas (id, name, parent_id, kind, status, key_uri, key_algorithm, public_key_spki, csr_der, certificate_der,
      subject, serial, not_before, not_after, ski, path_len, crl_number, crl_url, ocsp_url, ca_issuers_url, created_at)
    VALUES (@id, @name, @parentId, @kind, @status, @keyUri, @keyAlgorithm, @publicKeySpki, @csrDer, @certificateDer,
      @subject, @serial, @notBefore, @notAfter, @ski, @pathLen, @crlNumber, @crlUrl, @ocspUrl, @caIssuersUrl, @createdAt)`).run({
    ...ca,
    publicKeySpki: Buffer.from(ca.publicKeySpki),
    csrDer: ca.csrDer ? Buffer.from(ca.csrDer) : null,
    certificateDer: ca.certificateDer ? Buffer.from(ca.certificateDer) : null,
  });
}

/** Installs the certificate of a CA that was awaiting one (externally signed intermediate). */
export function activateCa(db: Database, id: string, cert: { der: Uint8Array; serial: string; notBefore: string; notAfter: string; pathLen: number | null; parentId: string | null }): void {
  db.prepare(`UPDATE cas SET status = 'active', certificate_der = ?, serial = ?, not_before = ?, not_after = ?, path_len = ?, parent_id = ?
    WHERE id = ? AND status = 'awaiting-certificate'`).run(Buffer.from(cert.der), cert.serial, cert.notBefore, cert.notAfter, cert.pathLen, cert.parentId, id);
}

/** Compare-and-set of the CRL number, so two publications can never share or reuse a number. */
export function advanceCrlNumber(db: Database, id: string, from: number, to: number): boolean {
  return db.prepare('UPDATE cas SET crl_number = ? WHERE id = ? AND crl_number = ?').run(to, id, from).changes === 1;
}
