import { useEffect, useState } from 'react';
import { Busy, DownloadButton, ErrorBanner, Field, fmtDate, SecretField } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ApiError, CaDraft, CaPreview, Out } from '../store/types.js';
import { TokenPicker } from './token-picker.js';

type Step = 'key' | 'subject' | 'review' | 'sign' | 'done';
const STEPS: Array<[Step, string]> = [['key', 'Key'], ['subject', 'Subject and profile'], ['review', 'Review'], ['sign', 'Sign'], ['done', 'Done']];
const ALGORITHMS = ['ecdsa-p384', 'ecdsa-p256', 'rsa-3072', 'rsa-4096', 'ed25519'] as const;

export interface CeremonyProps {
  kind: 'root' | 'intermediate';
  parentId?: string;
  initial?: Partial<CaDraft>;
  onClose(created: Out<'createRootCa'> | null): void;
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The guided ceremony for a root or an intermediate: where the key lives, what the certificate
 * says, a review of exactly what will be signed (computed by the console from the same profile
 * code that signs), then the PIN or passphrase, held only in this component until it is sent.
 */
export function Ceremony({ kind, parentId, initial, onClose }: CeremonyProps) {
  const previewCa = useConsole((s) => s.previewCa);
  const createRootCa = useConsole((s) => s.createRootCa);
  const createIntermediateCa = useConsole((s) => s.createIntermediateCa);
  const parent = useConsole((s) => s.cas.value?.find((c) => c.id === parentId) ?? null);
  const [step, setStep] = useState<Step>('key');
  const [draft, setDraft] = useState<CaDraft>({
    kind, parentId, name: kind === 'root' ? 'CN=Example Root CA 2026,O=Example,C=US' : 'CN=Example Issuing CA 2026,O=Example,C=US',
    algorithm: kind === 'root' ? 'ecdsa-p384' : 'ecdsa-p256', keyStorage: 'software', ...initial,
  });
  const [permitted, setPermitted] = useState('');
  const [excluded, setExcluded] = useState('');
  const [preview, setPreview] = useState<CaPreview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState('');
  const [confirm, setConfirm] = useState('');
  const [parentSecret, setParentSecret] = useState('');
  const [created, setCreated] = useState<Out<'createRootCa'> | null>(null);
  const patch = (p: Partial<CaDraft>) => setDraft({ ...draft, ...p });
  // Secrets do not outlive the ceremony.
  useEffect(() => () => { setSecret(''); setConfirm(''); setParentSecret(''); }, []);

  const finalDraft = (): CaDraft => ({ ...draft, permittedDns: list(permitted).length ? list(permitted) : undefined, excludedDns: list(excluded).length ? list(excluded) : undefined });

  async function review() {
    setBusy(true);
    setError(null);
    const r = await previewCa({ draft: finalDraft() });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setPreview(r.value);
    setStep('review');
  }

  async function sign() {
    setError(null);
    if (draft.keyStorage === 'software' && secret !== confirm) return setError({ code: 'PASSPHRASES_DIFFER', message: 'The two passphrases differ', hint: 'Type the same passphrase twice' });
    setBusy(true);
    const parentKey = parent?.keyStorage === 'pkcs11' ? { pin: parentSecret } : { passphrase: parentSecret };
    const r = kind === 'root'
      ? await createRootCa({ draft: finalDraft(), keySecret: secret })
      : await createIntermediateCa({ draft: finalDraft(), keySecret: secret, parentSecret: parentKey });
    setBusy(false);
    setSecret('');
    setConfirm('');
    setParentSecret('');
    if (!r.ok) return setError(r.error);
    setCreated(r.value);
    setStep('done');
  }

  const title = kind === 'root' ? 'New root CA ceremony' : `New intermediate CA under ${parent?.name ?? parentId}`;
  return (
    <section className="card ceremony" aria-labelledby="ceremony-title">
      <h2 id="ceremony-title">{title}</h2>
      <ol className="steps" aria-label="Ceremony steps">
        {STEPS.map(([s, label]) => <li key={s} aria-current={s === step ? 'step' : undefined} className={s === step ? 'current' : ''}>{label}</li>)}
      </ol>
      <ErrorBanner error={error} />

      {step === 'key' && (
        <form onSubmit={(e) => { e.preventDefault(); setStep('subject'); }}>
          <fieldset>
            <legend>Where the new CA key is generated</legend>
            <label className="choice"><input type="radio" name="keyStorage" checked={draft.keyStorage === 'pkcs11'} onChange={() => patch({ keyStorage: 'pkcs11' })} /> On a PKCS#11 token (HSM): generated on the token, sensitive, never extractable</label>
            <label className="choice"><input type="radio" name="keyStorage" checked={draft.keyStorage === 'software'} onChange={() => patch({ keyStorage: 'software', modulePath: undefined, tokenLabel: undefined })} /> In software (lab use): encrypted under a passphrase in this home</label>
          </fieldset>
          {draft.keyStorage === 'pkcs11' && (
            <TokenPicker modulePath={draft.modulePath} tokenLabel={draft.tokenLabel} onChange={(modulePath, tokenLabel) => patch({ modulePath, tokenLabel })} />
          )}
          <div className="actions">
            <button type="button" onClick={() => onClose(null)}>Cancel</button>
            <button type="submit" className="primary" disabled={draft.keyStorage === 'pkcs11' && !(draft.modulePath && draft.tokenLabel)}>Next: subject and profile</button>
          </div>
        </form>
      )}

      {step === 'subject' && (
        <form onSubmit={(e) => { e.preventDefault(); void review(); }}>
          <p>Profile <strong>{kind === 'root' ? 'root-ca' : 'intermediate-ca'}</strong>: {kind === 'root' ? 'self-signed, keyCertSign and cRLSign, 20 years by default.' : 'keyCertSign, cRLSign and digitalSignature, path length 0 (issues leaves only), 10 years by default, never beyond its parent.'}</p>
          <Field id="ca-name" label="Subject (distinguished name)" help="RFC 4514 text, e.g. CN=Example Root CA 2026,O=Example,C=US">
            <input id="ca-name" value={draft.name} onChange={(e) => patch({ name: e.target.value })} aria-describedby="ca-name-help" required />
          </Field>
          <Field id="ca-alg" label="Key algorithm">
            <select id="ca-alg" value={draft.algorithm} onChange={(e) => patch({ algorithm: e.target.value as CaDraft['algorithm'] })}>
              {ALGORITHMS.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </Field>
          <Field id="ca-validity" label="Validity (days; empty for the profile default)">
            <input id="ca-validity" type="number" min={1} value={draft.validityDays ?? ''} onChange={(e) => patch({ validityDays: e.target.value ? Number(e.target.value) : undefined })} />
          </Field>
          <Field id="ca-pathlen" label="Path length constraint (empty for the profile default)">
            <input id="ca-pathlen" type="number" min={0} max={16} value={draft.pathLength ?? ''} onChange={(e) => patch({ pathLength: e.target.value === '' ? undefined : Number(e.target.value) })} />
          </Field>
          <Field id="ca-permit" label="Name constraints: permitted DNS subtrees (comma-separated)">
            <input id="ca-permit" value={permitted} onChange={(e) => setPermitted(e.target.value)} placeholder="example.com, example.net" />
          </Field>
          <Field id="ca-exclude" label="Name constraints: excluded DNS subtrees (comma-separated)">
            <input id="ca-exclude" value={excluded} onChange={(e) => setExcluded(e.target.value)} />
          </Field>
          <Field id="ca-crl" label="CRL URL this CA writes into what it issues (optional)">
            <input id="ca-crl" type="url" value={draft.crlUrl ?? ''} onChange={(e) => patch({ crlUrl: e.target.value || undefined })} />
          </Field>
          <Field id="ca-ocsp" label="OCSP URL this CA writes into what it issues (optional)">
            <input id="ca-ocsp" type="url" value={draft.ocspUrl ?? ''} onChange={(e) => patch({ ocspUrl: e.target.value || undefined })} />
          </Field>
          <div className="actions">
            <button type="button" onClick={() => setStep('key')}>Back</button>
            <button type="submit" className="primary" disabled={busy}>Review what will be signed</button>
          </div>
          {busy && <Busy label="Computing the certificate under the profile" />}
        </form>
      )}

      {step === 'review' && preview && (
        <div>
          <p>This is exactly what the console will sign. Check every line; nothing is generated or signed until the next step.</p>
          <PreviewTable preview={preview} />
          <div className="actions">
            <button type="button" onClick={() => setStep('subject')}>Back: change it</button>
            <button type="button" className="primary" onClick={() => setStep('sign')}>This is correct: continue to signing</button>
          </div>
        </div>
      )}

      {step === 'sign' && preview && (
        <form onSubmit={(e) => { e.preventDefault(); void sign(); }}>
          <p>Signing <strong>{preview.subject}</strong>, {preview.signedBy}. {draft.keyStorage === 'pkcs11' ? `The key is generated on token '${draft.tokenLabel}'.` : 'The key is generated in software.'} Secrets are sent with this one request and never stored.</p>
          {draft.keyStorage === 'pkcs11'
            ? <SecretField id="key-secret" label={`User PIN of token '${draft.tokenLabel}'`} value={secret} onChange={setSecret} autoFocus />
            : (<>
              <SecretField id="key-secret" label="Passphrase for the new key (at least 12 characters)" value={secret} onChange={setSecret} autoFocus />
              <SecretField id="key-secret-confirm" label="The same passphrase again" value={confirm} onChange={setConfirm} />
            </>)}
          {kind === 'intermediate' && (
            <SecretField id="parent-secret" label={parent?.keyStorage === 'pkcs11' ? `PIN of the parent CA's token (${parent.name})` : `Passphrase of the parent CA's key (${parent?.name ?? parentId})`} value={parentSecret} onChange={setParentSecret} />
          )}
          <div className="actions">
            <button type="button" onClick={() => setStep('review')} disabled={busy}>Back to the review</button>
            <button type="submit" className="primary danger" disabled={busy || !secret || (kind === 'intermediate' && !parentSecret)}>Generate the key and sign</button>
          </div>
          {busy && <Busy label="Generating the key and signing; the signature is verified before anything is stored" />}
        </form>
      )}

      {step === 'done' && created && (
        <div>
          <p className="ok-line" role="status">Created {created.kind} CA <strong>{created.id}</strong>: serial {created.serial}, valid {fmtDate(created.notBefore)} to {fmtDate(created.notAfter)}, key {created.keyUri.split('?')[0]}.</p>
          <pre className="pem" tabIndex={0} aria-label="The new CA certificate (PEM)">{created.certificatePem}</pre>
          <div className="actions">
            {created.certificatePem && <DownloadButton fileName={`${created.id}.pem`} text={created.certificatePem} label="Download the certificate" />}
            <button type="button" className="primary" onClick={() => onClose(created)}>Done</button>
          </div>
        </div>
      )}
    </section>
  );
}

export function PreviewTable({ preview }: { preview: CaPreview }) {
  const rows: Array<[string, string]> = [
    ['Profile', preview.profile], ['Subject', preview.subject], ['Issuer', preview.issuer], ['Not before', fmtDate(preview.notBefore)], ['Not after', fmtDate(preview.notAfter)],
    ['Serial number', preview.serial], ['Key algorithm', preview.keyAlgorithm], ['Key location', preview.keyLocation], ['Signature algorithm', preview.signatureAlgorithm], ['Signed by', preview.signedBy],
  ];
  return (
    <table className="kv" aria-label="What will be signed">
      <tbody>
        {rows.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}
        {preview.extensions.map((e) => (
          <tr key={e.oid}>
            <th scope="row">{e.name}{e.critical ? ' (critical)' : ''}<br /><small>{e.oid}</small></th>
            <td>{e.value.map((v) => <div key={v}>{v}</div>)}</td>
          </tr>
        ))}
        <tr><th scope="row">URLs it will write into what it issues</th><td>CRL {preview.issuesWith.crlUrl ?? 'none'} · OCSP {preview.issuesWith.ocspUrl ?? 'none'}</td></tr>
      </tbody>
    </table>
  );
}
