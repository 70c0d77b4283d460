import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Busy, ErrorBanner, Field, fmtBytes, fmtDate, Notice, Progress, SecretField } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ApiError, CaHealth, Out } from '../store/types.js';
import type { CallProgress } from '../store/call-progress.js';
import { ActionPlanCard, ActionQueue } from './action-queue.js';
import { TokenPicker } from './token-picker.js';

const secretOf = (ca: CaHealth | undefined, value: string) => (ca?.keyStorage === 'pkcs11' ? { pin: value } : { passphrase: value });

/** The console's bundle-signing identity: shown when it exists, made here when it does not. */
function SignerCard() {
  const signer = useConsole((s) => s.bundleSigner);
  const load = useConsole((s) => s.loadBundleSigner);
  const create = useConsole((s) => s.createBundleSigner);
  const cas = useConsole(useShallow((s) => (s.cas.value ?? []).filter((c) => c.status === 'active')));
  const [caId, setCaId] = useState('');
  const [caSecret, setCaSecret] = useState('');
  const [keyStorage, setKeyStorage] = useState<'software' | 'pkcs11'>('software');
  const [token, setToken] = useState<{ modulePath?: string; tokenLabel?: string }>({});
  const [keySecret, setKeySecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => { void load(); }, [load]);
  const ca = cas.find((c) => c.id === (caId || cas[0]?.id));
  if (signer.value) {
    const s = signer.value;
    return <p>Exported bundles are signed by <strong>{s.subject}</strong> (serial {s.serial}, issued by {s.caId}, valid to {fmtDate(s.notAfter)}, key {s.keyUri.split('?')[0]}).</p>;
  }
  return (
    <form aria-label="Create the bundle-signing identity" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      const r = await create({ caId: ca!.id, caSecret: secretOf(ca, caSecret), keyStorage, ...token, keySecret });
      setCaSecret('');
      setKeySecret('');
      setBusy(false);
      if (!r.ok) setError(r.error);
    }}>
      <p>Renewal bundles are signed by the console's own bundle-signing certificate, which the hosts' agents check against your CA. None exists yet.</p>
      <Field id="signer-ca" label="CA that certifies it">
        <select id="signer-ca" value={ca?.id ?? ''} onChange={(e) => setCaId(e.target.value)}>{cas.map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}</select>
      </Field>
      <SecretField id="signer-ca-secret" label={ca?.keyStorage === 'pkcs11' ? `Token PIN of ${ca.id}` : `Key passphrase of ${ca?.id ?? 'the CA'}`} value={caSecret} onChange={setCaSecret} />
      <fieldset>
        <legend>Where the signing key is generated</legend>
        <label className="choice"><input type="radio" name="signer-storage" checked={keyStorage === 'software'} onChange={() => setKeyStorage('software')} /> In software, encrypted in this home</label>
        <label className="choice"><input type="radio" name="signer-storage" checked={keyStorage === 'pkcs11'} onChange={() => setKeyStorage('pkcs11')} /> On a PKCS#11 token</label>
      </fieldset>
      {keyStorage === 'pkcs11' && <TokenPicker modulePath={token.modulePath} tokenLabel={token.tokenLabel} onChange={(modulePath, tokenLabel) => setToken({ modulePath, tokenLabel })} />}
      <SecretField id="signer-key-secret" label={keyStorage === 'pkcs11' ? 'PIN of that token' : 'Passphrase for the new signing key (12+ characters)'} value={keySecret} onChange={setKeySecret} />
      <button type="submit" className="primary" disabled={busy || !ca || !caSecret || !keySecret}>Create the bundle-signing identity</button>
      {busy && <Busy label="Generating the key and certifying it" />}
      <ErrorBanner error={error} />
    </form>
  );
}

/** Answers pending renewal requests: issue, chain, CRLs and OCSP into a signed renewal bundle in a folder. */
function ExportForm({ requestBundles }: { requestBundles: string[] }) {
  const exportRenewal = useConsole((s) => s.exportRenewalBundle);
  const cas = useConsole(useShallow((s) => (s.cas.value ?? []).filter((c) => c.status === 'active' && c.kind === 'intermediate')));
  const signer = useConsole((s) => s.bundleSigner.value);
  const [caId, setCaId] = useState('');
  const [bundle, setBundle] = useState('');
  const [caSecret, setCaSecret] = useState('');
  const [signerSecret, setSignerSecret] = useState('');
  const [outDir, setOutDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<Out<'exportRenewalBundle'> | null>(null);
  const [progress, setProgress] = useState<CallProgress | null>(null);
  const plan = useConsole((s) => s.actionPlan.value);
  const reloadQueue = useConsole((s) => s.loadActions);
  const reloadPlan = useConsole((s) => s.loadActionPlan);
  const [fromQueue, setFromQueue] = useState(true);
  const planned = plan?.actionIds.length ?? 0;
  const ca = cas.find((c) => c.id === (caId || cas[0]?.id));
  const requestBundle = bundle || requestBundles[0];
  if (!signer) return <p className="muted">Create the bundle-signing identity above first.</p>;
  return (
    <form aria-label="Sign and export a renewal bundle" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      setDone(null);
      const r = await exportRenewal({ caId: ca!.id, caSecret: secretOf(ca, caSecret), signerSecret: signer.keyUri.startsWith('pkcs11:') ? { pin: signerSecret } : { passphrase: signerSecret }, requestBundle, outDir: outDir || undefined, ...(fromQueue && planned ? { fromQueue: true } : {}) }, setProgress);
      setProgress(null);
      setCaSecret('');
      setSignerSecret('');
      setBusy(false);
      if (r.ok) {
        setDone(r.value);
        void reloadQueue();
        void reloadPlan();
      } else setError(r.error);
    }}>
      {requestBundles.length === 0 && <p className="muted">No pending request to answer.</p>}
      <Field id="renew-bundle" label="Answer the requests of bundle">
        <select id="renew-bundle" value={requestBundle ?? ''} onChange={(e) => setBundle(e.target.value)}>{requestBundles.map((b) => <option key={b} value={b}>{b}</option>)}</select>
      </Field>
      <Field id="renew-ca" label="Issuing CA">
        <select id="renew-ca" value={ca?.id ?? ''} onChange={(e) => setCaId(e.target.value)}>{cas.map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}</select>
      </Field>
      <SecretField id="renew-ca-secret" label={ca?.keyStorage === 'pkcs11' ? `Token PIN of ${ca.id}` : `Key passphrase of ${ca?.id ?? 'the CA'}`} value={caSecret} onChange={setCaSecret} />
      <SecretField id="renew-signer-secret" label={signer.keyUri.startsWith('pkcs11:') ? 'PIN of the bundle-signing token' : 'Passphrase of the bundle-signing key'} value={signerSecret} onChange={setSignerSecret} />
      <Field id="renew-out" label="Output folder on this machine (the USB stick; empty: exports/ in the home)">
        <input id="renew-out" value={outDir} onChange={(e) => setOutDir(e.target.value)} placeholder="/media/usb" />
      </Field>
      {planned > 0 && (
        <label className="choice"><input type="checkbox" checked={fromQueue} onChange={(e) => setFromQueue(e.target.checked)} /> Carry the {planned} approved risk action{planned === 1 ? '' : 's'} (investigation instructions; renewals of the hosts this bundle answers)</label>
      )}
      <button type="submit" className="primary" disabled={busy || !ca || !requestBundle || !caSecret || !signerSecret}>Sign and export the renewal bundle</button>
      {busy && (progress
        ? <Progress done={progress.done} total={progress.total} message={progress.message} />
        : <Busy label="Issuing, signing OCSP responses and the bundle; every signature is verified before it is stored" />)}
      <ErrorBanner error={error} />
      {done && (
        <div role="status" aria-label="Exported renewal bundle">
          <Notice kind="ok">Renewal bundle {done.bundleId} (sequence {done.sequence}, in reply to {done.inReplyTo}) written to <strong>{done.path}</strong>: {done.issued.length} issued, {done.rejected.length} rejected, {fmtBytes(done.size)}, SHA-256 {done.sha256.slice(0, 16)}…</Notice>
          {done.actions.length > 0 && <p>Risk actions carried and marked exported: {done.actions.map((id) => `#${id}`).join(', ')}.</p>}
          {done.warnings.map((w) => <Notice key={w} kind="warn">{w}</Notice>)}
          <ul>{done.issued.map((i) => <li key={i.requestId}>{i.host}: serial {i.serial}, valid to {fmtDate(i.notAfter)}</li>)}{done.rejected.map((r) => <li key={r.requestId}>{r.host}: rejected, {r.code}: {r.message}</li>)}</ul>
          <p className="muted">Check it outside Coldroot: tar xf the bundle, then openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json -CAfile root.pem -out /dev/null</p>
        </div>
      )}
    </form>
  );
}

export function QueueScreen() {
  const requests = useConsole((s) => s.renewalRequests);
  const load = useConsole((s) => s.loadRenewalRequests);
  const loadCas = useConsole((s) => s.loadCas);
  useEffect(() => { void load(); void loadCas(); }, [load, loadCas]);
  const pending = requests.value?.filter((r) => r.status === 'pending') ?? [];
  const bundles = [...new Set(pending.map((r) => r.bundleId))];
  return (
    <div>
      <ActionQueue />
      <ActionPlanCard />
      <section className="card" aria-labelledby="q-pending">
        <h2 id="q-pending">Pending renewal requests</h2>
        <ErrorBanner error={requests.error} />
        {requests.value && pending.length === 0 && <p>No pending renewal request. Hosts send them in renewal-request bundles (Import).</p>}
        {pending.length > 0 && (
          <table aria-label="Pending renewal requests">
            <thead><tr><th scope="col">Received</th><th scope="col">Host</th><th scope="col">Subject</th><th scope="col">Profile</th><th scope="col">Reason</th><th scope="col">Proof</th></tr></thead>
            <tbody>{pending.map((r) => <tr key={`${r.bundleId}/${r.requestId}`}><td>{fmtDate(r.receivedAt)}</td><td>{r.host}</td><td>{r.subject}</td><td>{r.profile}</td><td>{r.reason}</td><td>{r.proofKind}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="q-signer">
        <h2 id="q-signer">Bundle-signing identity</h2>
        <SignerCard />
      </section>
      <section className="card" aria-labelledby="q-export">
        <h2 id="q-export">Sign and export</h2>
        <ExportForm requestBundles={bundles} />
      </section>
    </div>
  );
}
