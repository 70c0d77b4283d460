import { useState } from 'react';
import { Busy, DownloadButton, ErrorBanner, Field, fmtDate, Notice, StateBadge } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ApiError, Out } from '../store/types.js';

const REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'cACompromise', 'certificateHold', 'unspecified'] as const;

function RevokeForm({ serial }: { serial: string }) {
  const revoke = useConsole((s) => s.revokeCertificate);
  const [reason, setReason] = useState<(typeof REASONS)[number]>('keyCompromise');
  const [sure, setSure] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<Out<'revokeCertificate'> | null>(null);
  return (
    <form className="revoke" aria-label="Revoke this certificate" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      const r = await revoke(reason);
      setBusy(false);
      if (r.ok) setDone(r.value);
      else setError(r.error);
    }}>
      <h3>Revoke</h3>
      <Field id="revoke-reason" label="Reason (RFC 5280)">
        <select id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value as (typeof REASONS)[number])}>{REASONS.map((r) => <option key={r} value={r}>{r}</option>)}</select>
      </Field>
      <label className="choice"><input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} /> I want to revoke serial {serial}; this cannot be undone</label>
      <button type="submit" className="danger" disabled={!sure || busy}>Revoke certificate</button>
      {busy && <Busy label="Recording the revocation" />}
      <ErrorBanner error={error} />
      {done && <Notice kind="ok">Revoked at {fmtDate(done.revokedAt)} ({done.reason}). Publish a CRL from the CA hierarchy to distribute it.</Notice>}
    </form>
  );
}

/** Every field and extension of the selected certificate, decoded by the console. */
export function CertificateDetailPanel() {
  const detail = useConsole((s) => s.certDetail);
  const close = useConsole((s) => s.selectCertificate);
  const d = detail.value;
  return (
    <aside className="card detail" aria-labelledby="cert-detail-title">
      <div className="detail-head">
        <h2 id="cert-detail-title">Certificate</h2>
        <button type="button" className="link" onClick={() => void close(null)}>Close</button>
      </div>
      {detail.loading && <Busy label="Decoding" />}
      <ErrorBanner error={detail.error} />
      {d && (<>
        {d.mismatch && <Notice kind="warn">{d.mismatch}</Notice>}
        <p><StateBadge state={d.state} /> {d.profile} · issued by <strong>{d.caId}</strong> at {fmtDate(d.issuedAt)}{d.revokedAt ? ` · revoked ${fmtDate(d.revokedAt)} (${d.revocationReason})` : ''}</p>
        <table className="kv" aria-label="Fields">
          <tbody>
            <tr><th scope="row">Version</th><td>{d.fields.version}</td></tr>
            <tr><th scope="row">Serial number</th><td className="mono">{d.fields.serialHex}<br /><small>{d.fields.serialDecimal}</small></td></tr>
            <tr><th scope="row">Signature algorithm</th><td>{d.fields.signatureAlgorithm}</td></tr>
            <tr><th scope="row">Issuer</th><td>{d.fields.issuer}</td></tr>
            <tr><th scope="row">Not before</th><td>{fmtDate(d.fields.notBefore)}</td></tr>
            <tr><th scope="row">Not after</th><td>{fmtDate(d.fields.notAfter)}</td></tr>
            <tr><th scope="row">Subject</th><td>{d.fields.subject}</td></tr>
            <tr><th scope="row">Public key</th><td>{d.fields.publicKey.algorithm} {d.fields.publicKey.parameters}{d.fields.publicKey.bits ? ` (${d.fields.publicKey.bits} bits)` : ''}<br /><span className="mono wrap">{d.fields.publicKey.hex}</span></td></tr>
          </tbody>
        </table>
        <h3>Extensions</h3>
        <table className="kv" aria-label="Extensions">
          <tbody>
            {d.extensions.map((e) => (
              <tr key={e.oid}><th scope="row">{e.name}{e.critical ? ' (critical)' : ''}<br /><small>{e.oid}</small></th><td>{e.value.map((v) => <div key={v} className="wrap">{v}</div>)}</td></tr>
            ))}
          </tbody>
        </table>
        <h3>Signature and fingerprints</h3>
        <table className="kv" aria-label="Signature and fingerprints">
          <tbody>
            <tr><th scope="row">Signature value</th><td className="mono wrap">{d.fields.signatureValue}</td></tr>
            <tr><th scope="row">SHA-256</th><td className="mono wrap">{d.fingerprints.sha256}</td></tr>
            <tr><th scope="row">SHA-1</th><td className="mono wrap">{d.fingerprints.sha1}</td></tr>
          </tbody>
        </table>
        <DownloadButton fileName={`${d.serial}.pem`} text={d.pem} label="Download PEM" />
        {d.revokedAt && <Notice kind="warn">Revoked at {fmtDate(d.revokedAt)} ({d.revocationReason}). Publish a CRL from the CA hierarchy to distribute the revocation.</Notice>}
        {d.state !== 'revoked' && d.profile !== 'root-ca' && <RevokeForm key={`${d.caId}/${d.serial}`} serial={d.serial} />}
      </>)}
    </aside>
  );
}
