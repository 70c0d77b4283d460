import type { Database } from 'better-sqlite3';
import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from '../keys/key-algorithm.js';

export interface OcspResponderRecord {
  id: string;
  caId: string;
  status: 'active' | 'retired';
  keyUri: string;
  keyAlgorithm: KeyAlgorithm;
  certificateDer: Uint8Array;
  serial: string;
  notAfter: string;
  createdAt: string;
}

interface Row { id: string; ca_id: string; status: 'active' | 'retired'; key_uri: string; key_algorithm: KeyAlgorithm; certificate_der: Buffer; serial: string; not_after: string; created_at: string }

const fromRow = (r: Row): OcspResponderRecord => ({ id: r.id, caId: r.ca_id, status: r.status, keyUri: r.key_uri, keyAlgorithm: r.key_algorithm, certificateDer: new Uint8Array(r.certificate_der), serial: r.serial, notAfter: r.not_after, createdAt: r.created_at });

export function getOcspResponder(db: Database, id: string): OcspResponderRecord {
  const row = db.prepare('SELECT * FROM ocsp_responders WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new ColdrootError('OCSP_RESPONDER_NOT_FOUND', `No OCSP responder with id '${id}'`, 'List responders with: coldroot ocsp responders --ca CA_ID');
  return fromRow(row);
}

export function listOcspResponders(db: Database, caId: string): OcspResponderRecord[] {
  return (db.prepare('SELECT * FROM ocsp_responders WHERE ca_id = ? ORDER BY created_at, id').all(caId) as Row[]).map(fromRow);
}

/** Records a new responder as the CA's active one, retiring the previous (call inside a transaction). */
export function insertActiveOcspResponder(db: Database, r: OcspResponderRecord): void {
  db.prepare("UPDATE ocsp_responders SET status = 'retired' WHERE ca_id = ? AND status = 'active'").run(r.caId);
  db.prepare('INSERT INTO ocsp_responders (id, ca_id, status, key_uri, key_algorithm, certificate_der, serial, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(r.id, r.caId, 'active', r.keyUri, r.keyAlgorithm, Buffer.from(r.certificateDer), r.serial, r.notAfter, r.createdAt);
}
