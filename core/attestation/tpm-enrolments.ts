import type Database from 'better-sqlite3';

/** The TPM a host enrolled: the console trusts quotes by `akPublic` from a host whose EK is `ekCertificate`. */
export interface TpmEnrolmentRecord {
  host: string;
  ekSha256: string;
  ekCertificate: Uint8Array;
  /** Attestation key, SubjectPublicKeyInfo DER. */
  akPublic: Uint8Array;
  akName: string;
  /** Subject of the device certificate that authenticated the enrolment. */
  deviceSubject: string;
  enrolledAt: string;
  requestId: string;
}

interface Row { host: string; ekSha256: string; ek: Buffer; ak: Buffer; akName: string; deviceSubject: string; enrolledAt: string; requestId: string }
const COLUMNS = 'host, ek_sha256 AS ekSha256, ek_certificate AS ek, ak_public AS ak, ak_name AS akName, device_subject AS deviceSubject, enrolled_at AS enrolledAt, request_id AS requestId';
const record = (r: Row | undefined): TpmEnrolmentRecord | null =>
  r ? { host: r.host, ekSha256: r.ekSha256, ekCertificate: new Uint8Array(r.ek), akPublic: new Uint8Array(r.ak), akName: r.akName, deviceSubject: r.deviceSubject, enrolledAt: r.enrolledAt, requestId: r.requestId } : null;

export function enrolmentByHost(db: Database.Database, host: string): TpmEnrolmentRecord | null {
  return record(db.prepare(`SELECT ${COLUMNS} FROM tpm_enrolments WHERE host = ?`).get(host) as Row | undefined);
}

export function enrolmentByEk(db: Database.Database, ekSha256: string): TpmEnrolmentRecord | null {
  return record(db.prepare(`SELECT ${COLUMNS} FROM tpm_enrolments WHERE ek_sha256 = ?`).get(ekSha256) as Row | undefined);
}

export function listEnrolments(db: Database.Database): Array<Omit<TpmEnrolmentRecord, 'ekCertificate' | 'akPublic'>> {
  return (db.prepare(`SELECT ${COLUMNS} FROM tpm_enrolments ORDER BY host`).all() as Row[]).map((r) => {
    const { ekCertificate: _e, akPublic: _a, ...rest } = record(r)!;
    return rest;
  });
}

/** Records (or replaces) the host's TPM, on the caller's connection and transaction. */
export function saveEnrolment(db: Database.Database, e: TpmEnrolmentRecord, bundleRowId: number): void {
  db.prepare(`INSERT INTO tpm_enrolments (host, ek_sha256, ek_certificate, ak_public, ak_name, device_subject, enrolled_at, bundle_id, request_id)
    VALUES (@host, @ekSha256, @ek, @ak, @akName, @deviceSubject, @enrolledAt, @bundleRowId, @requestId)
    ON CONFLICT (host) DO UPDATE SET ek_sha256 = excluded.ek_sha256, ek_certificate = excluded.ek_certificate, ak_public = excluded.ak_public, ak_name = excluded.ak_name,
      device_subject = excluded.device_subject, enrolled_at = excluded.enrolled_at, bundle_id = excluded.bundle_id, request_id = excluded.request_id`)
    .run({ host: e.host, ekSha256: e.ekSha256, ek: Buffer.from(e.ekCertificate), ak: Buffer.from(e.akPublic), akName: e.akName, deviceSubject: e.deviceSubject, enrolledAt: e.enrolledAt, bundleRowId, requestId: e.requestId });
}

/** Whether `host` has an enrolled TPM (renewal export then gives it a nonce). */
export function hasEnrolledTpm(db: Database.Database, host: string): boolean {
  return db.prepare('SELECT 1 FROM tpm_enrolments WHERE host = ?').get(host) !== undefined;
}
