import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Busy, ErrorBanner, Field, fmtBytes, fmtDate, fmtInt, Notice, SecretField } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { AgentPackagePreview, AgentPackages, ApiError, CaHealth, RolloutReport } from '../store/types.js';

const secretOf = (ca: CaHealth | undefined, value: string) => (ca?.keyStorage === 'pkcs11' ? { pin: value } : { passphrase: value });
const hostsOf = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/** What the host administrator runs, with every anchor fingerprint the installer must be given. */
export function installCommand(r: AgentPackages): string {
  const file = baseName(r.packages[0]?.path ?? 'HOST.agent-package');
  return `tar -xf ${file} install.sh && sudo sh install.sh ${file} ${r.anchors.map((a) => `--root-sha256 ${a.sha256}`).join(' ')}`;
}

function CountersCard() {
  const counters = useConsole((s) => s.renewalCounters);
  const load = useConsole((s) => s.loadRenewalCounters);
  const requests = useConsole((s) => s.renewalRequests);
  const loadRequests = useConsole((s) => s.loadRenewalRequests);
  useEffect(() => { void load(); void loadRequests(); }, [load, loadRequests]);
  const byHost = new Map<string, { pending: number; issued: number; rejected: number }>();
  for (const r of requests.value ?? []) {
    const c = byHost.get(r.host) ?? { pending: 0, issued: 0, rejected: 0 };
    c[r.status]++;
    byHost.set(r.host, c);
  }
  const totals = [...byHost.values()].reduce((a, c) => ({ pending: a.pending + c.pending, issued: a.issued + c.issued, rejected: a.rejected + c.rejected }), { pending: 0, issued: 0, rejected: 0 });
  const c = counters.value;
  const codes = Object.entries(c?.rejectionCodes ?? {});
  return (
    <section className="card" aria-labelledby="ag-counters">
      <h2 id="ag-counters">Renewal request counters</h2>
      <ErrorBanner error={counters.error ?? requests.error} />
      {c && (
        <>
          <table className="kv" aria-label="Renewal counters">
            <tbody>
              <tr><th scope="row">Received</th><td>{fmtInt(c.received)}</td></tr>
              <tr><th scope="row">Validated</th><td>{fmtInt(c.validated)} (from {fmtInt(c.bundles.imported)} imported bundles)</td></tr>
              <tr><th scope="row">Issued</th><td>{fmtInt(c.issued)}</td></tr>
              <tr><th scope="row">Rejected</th><td>{fmtInt(c.rejected)} ({fmtInt(c.rejectedAnswered)} answered as rejected, {fmtInt(c.rejectedInQuarantine)} in {fmtInt(c.bundles.quarantined)} quarantined bundles)</td></tr>
              <tr><th scope="row">Pending</th><td>{fmtInt(c.pending)}</td></tr>
              <tr><th scope="row">Last received</th><td>{c.lastReceivedAt ? fmtDate(c.lastReceivedAt) : 'never'}</td></tr>
            </tbody>
          </table>
          {codes.length > 0 && (
            <table aria-label="Rejection codes">
              <thead><tr><th scope="col">Rejection code</th><th scope="col">Requests</th></tr></thead>
              <tbody>{codes.map(([code, n]) => <tr key={code}><td className="mono">{code}</td><td>{fmtInt(n)}</td></tr>)}</tbody>
            </table>
          )}
        </>
      )}
      <p>{fmtInt(byHost.size)} hosts asked: {fmtInt(totals.pending)} pending, {fmtInt(totals.issued)} issued, {fmtInt(totals.rejected)} rejected.</p>
      {byHost.size > 0 && (
        <table aria-label="Renewal requests per host">
          <thead><tr><th scope="col">Host</th><th scope="col">Pending</th><th scope="col">Issued</th><th scope="col">Rejected</th></tr></thead>
          <tbody>{[...byHost.entries()].sort().map(([host, n]) => <tr key={host}><td>{host}</td><td>{n.pending}</td><td>{n.issued}</td><td>{n.rejected}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}

function ReviewTable({ preview }: { preview: AgentPackagePreview }) {
  const rows: Array<[string, string]> = [
    ['Issuing CA', `${preview.caId} (${preview.issuer})`],
    ['Profile', `${preview.profile}: ${preview.profileSummary}`],
    ['Validity', `${fmtDate(preview.notBefore)} to ${fmtDate(preview.notAfter)} (${preview.validity})`],
    ['Key', 'a new P-256 key per host, generated on this console and carried in the package'],
    ['Key usage', preview.keyUsage.join(', ')],
    ['Extended key usage', preview.extendedKeyUsage.join(', ')],
    ['Renewal threshold', `${preview.thresholdDays} days before expiry`],
    ['Packages signed by', `${preview.signer.subject} (serial ${preview.signer.serial}, key ${preview.signer.keyUri})`],
  ];
  return (
    <table className="kv" aria-label="What will be signed">
      <tbody>
        {rows.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}
        <tr>
          <th scope="row">Hosts ({preview.hosts.length})</th>
          <td>{preview.hosts.map((h) => <div key={h.host}>{h.subject}, DNS:{h.dns.join(', DNS:')}</div>)}</td>
        </tr>
        <tr>
          <th scope="row">Trust anchors in each package</th>
          <td>{preview.anchors.map((a) => <div key={a.sha256}>{a.subject} (CA {a.caId})<br /><span className="mono wrap">SHA-256 {a.sha256}</span></div>)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function PackagesResult({ result, onAgain }: { result: AgentPackages; onAgain: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const command = installCommand(result);
  const sea = result.agent.sea.status === 'built' ? `single executable included (${fmtBytes(result.agent.sea.size)})` : `single executable skipped: ${result.agent.sea.reason}`;
  return (
    <div role="status" aria-label="Agent packages written">
      <Notice kind="ok">{result.packages.length} agent package{result.packages.length === 1 ? '' : 's'} written to <strong>{result.folder}</strong>, signed by {result.signer.subject}. They hold private keys: carry them like secrets.</Notice>
      <table aria-label="Agent packages">
        <thead><tr><th scope="col">Host</th><th scope="col">Package</th><th scope="col">Bootstrap certificate</th><th scope="col">Size, SHA-256</th></tr></thead>
        <tbody>
          {result.packages.map((p) => (
            <tr key={p.path}>
              <td>{p.host}</td>
              <td className="mono wrap">{p.path}</td>
              <td>serial <span className="mono">{p.bootstrap.serial}</span>, valid until {fmtDate(p.bootstrap.notAfter)}</td>
              <td>{fmtBytes(p.size)}, <span className="mono wrap">{p.sha256}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Trust anchor fingerprints</h3>
      <p>Give these to the host administrator over another channel than the package (phone, a signed ticket, on paper): install.sh only trusts a package whose anchors match them.</p>
      <ul aria-label="Trust anchor fingerprints">{result.anchors.map((a) => <li key={a.sha256}><span className="mono wrap">{a.sha256}</span> {a.subject} (CA {a.caId})</li>)}</ul>
      <h3>Install command</h3>
      <pre className="pem" tabIndex={0} role="region" aria-label="Install command">{command}</pre>
      <div className="actions">
        <button type="button" onClick={async () => {
          try {
            await navigator.clipboard.writeText(command);
            setCopied('Copied to the clipboard');
          } catch {
            setCopied('The clipboard is not available here: select the command and copy it');
          }
        }}>Copy the install command</button>
        <button type="button" onClick={onAgain}>Generate more packages</button>
      </div>
      {copied && <p className="muted">{copied}</p>}
      <p className="muted">For another host, use its package file name. Agent: {fmtBytes(result.agent.size)}, SHA-256 <span className="mono wrap">{result.agent.sha256}</span>, built in {result.agent.buildMs} ms; {sea}.</p>
    </div>
  );
}

/** Hosts and settings, then a review of exactly what will be signed, then the secrets and the signing. */
function GenerateForm() {
  const cas = useConsole(useShallow((s) => (s.cas.value ?? []).filter((c) => c.status === 'active' && c.kind === 'intermediate')));
  const loadCas = useConsole((s) => s.loadCas);
  const signer = useConsole((s) => s.bundleSigner.value);
  const loadSigner = useConsole((s) => s.loadBundleSigner);
  const preview = useConsole((s) => s.previewAgentPackages);
  const generate = useConsole((s) => s.generateAgentPackages);
  const result = useConsole((s) => s.agentPackages);
  const clear = useConsole((s) => s.clearAgentPackages);
  const reloadCounters = useConsole((s) => s.loadRenewalCounters);
  const [caId, setCaId] = useState('');
  const [hostsText, setHostsText] = useState('');
  const [threshold, setThreshold] = useState('30');
  const [outDir, setOutDir] = useState('');
  const [review, setReview] = useState<AgentPackagePreview | null>(null);
  const [caSecret, setCaSecret] = useState('');
  const [signerSecret, setSignerSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => { void loadCas(); void loadSigner(); }, [loadCas, loadSigner]);
  const ca = cas.find((c) => c.id === (caId || cas[0]?.id));
  const thresholdDays = Number(threshold);
  const request = { caId: ca?.id ?? '', hosts: hostsOf(hostsText), thresholdDays };

  if (result) return <PackagesResult result={result} onAgain={() => { clear(); setReview(null); setHostsText(''); }} />;
  if (!signer) return <p className="muted">Packages are signed by the console's bundle-signing identity: create it on the Queue screen first.</p>;
  if (!cas.length) return <p className="muted">No active intermediate CA can issue bootstrap certificates yet: create one on the CA hierarchy screen.</p>;

  if (review) {
    return (
      <form aria-label="Sign the agent packages" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const r = await generate({
          ...request, caSecret: secretOf(ca, caSecret), signerSecret: signer.keyUri.startsWith('pkcs11:') ? { pin: signerSecret } : { passphrase: signerSecret }, outDir: outDir || undefined,
        });
        setCaSecret('');
        setSignerSecret('');
        setBusy(false);
        if (!r.ok) setError(r.error);
        else void reloadCounters();
      }}>
        <h3>What will be signed</h3>
        <ReviewTable preview={review} />
        <p>Output folder: {outDir || 'exports/ in the home'} (a new agent-packages folder is made inside; nothing is overwritten).</p>
        <SecretField id="pkg-ca-secret" label={ca?.keyStorage === 'pkcs11' ? `Token PIN of ${ca.id}` : `Key passphrase of ${ca?.id ?? 'the CA'}`} value={caSecret} onChange={setCaSecret} />
        <SecretField id="pkg-signer-secret" label={signer.keyUri.startsWith('pkcs11:') ? 'PIN of the bundle-signing token' : 'Passphrase of the bundle-signing key'} value={signerSecret} onChange={setSignerSecret} />
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => { setReview(null); setCaSecret(''); setSignerSecret(''); setError(null); }}>Back: change hosts or settings</button>
          <button type="submit" className="primary" disabled={busy || !caSecret || !signerSecret}>Sign and write {review.hosts.length} package{review.hosts.length === 1 ? '' : 's'}</button>
        </div>
        {busy && <Busy label="Building the agent, issuing the bootstrap certificates and signing the packages; every signature is verified before anything is stored" />}
        <ErrorBanner error={error} />
      </form>
    );
  }

  return (
    <form aria-label="Generate agent packages" onSubmit={async (e) => {
      e.preventDefault();
      setError(null);
      const r = await preview(request);
      if (r.ok) setReview(r.value);
      else setError(r.error);
    }}>
      <Field id="pkg-ca" label="Issuing CA (bootstrap certificates, profile device-bootstrap)">
        <select id="pkg-ca" value={ca?.id ?? ''} onChange={(e) => setCaId(e.target.value)}>{cas.map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}</select>
      </Field>
      <Field id="pkg-hosts" label="Hosts (one per line)" help="DNS host names; each gets its own package and bootstrap certificate (at most 1000 per run).">
        <textarea id="pkg-hosts" className="mono" rows={6} value={hostsText} spellCheck={false} aria-describedby="pkg-hosts-help" onChange={(e) => setHostsText(e.target.value)} />
      </Field>
      <Field id="pkg-threshold" label="Renewal threshold (days before expiry)">
        <input id="pkg-threshold" type="number" min={1} max={3650} value={threshold} onChange={(e) => setThreshold(e.target.value)} />
      </Field>
      <Field id="pkg-out" label="Output folder on this machine (the USB stick; empty: exports/ in the home)">
        <input id="pkg-out" value={outDir} onChange={(e) => setOutDir(e.target.value)} placeholder="/media/usb" />
      </Field>
      <button type="submit" className="primary" disabled={!ca || !request.hosts.length || !Number.isInteger(thresholdDays) || thresholdDays < 1}>Review what will be signed</button>
      <ErrorBanner error={error} />
    </form>
  );
}

const seconds = (s: number | null) => (s === null ? '—' : s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
const pct = (p: number | null) => (p === null ? '—' : `${p.toFixed(1)}%`);
const ms = (p: number | null) => (p === null ? '—' : `${+p.toFixed(1)} ms`);
type HostRollout = RolloutReport['rollouts'][number];

/** Where exposure stands: the agent's last change, else (no rollout.json) the newest interval's share on new. */
const exposureNow = (r: HostRollout) => (r.changes.length ? r.changes[r.changes.length - 1].to : r.timeline.at(-1)?.exposurePercent ?? null);

/** The exposure steps the intervals show, repeats folded: "5 → 20 → 80 → 100%" (the last eight). */
export function exposurePath(r: HostRollout): string {
  const steps: number[] = [];
  for (const p of r.timeline) if (steps.at(-1) !== p.exposurePercent) steps.push(p.exposurePercent);
  if (!steps.length) return '—';
  const shown = steps.slice(-8).map((x) => `${+x.toFixed(1)}`);
  return `${steps.length > 8 ? '… → ' : ''}${shown.join(' → ')}% over ${r.timeline.length} interval${r.timeline.length === 1 ? '' : 's'}`;
}

/** Canary rollouts as the hosts report them: where exposure went, and what the new certificate cost. */
function RolloutsCard() {
  const rollouts = useConsole((s) => s.rollouts);
  const load = useConsole((s) => s.loadRollouts);
  useEffect(() => { void load(); }, [load]);
  const rows = rollouts.value?.rollouts ?? [];
  return (
    <section className="card" aria-labelledby="ag-rollouts">
      <h2 id="ag-rollouts">Certificate rollouts</h2>
      <ErrorBanner error={rollouts.error} />
      {!rollouts.value && !rollouts.error && <Busy label="Reading the rollouts the agents reported" />}
      {rollouts.value && rows.length === 0 && <p>No canary rollout reported yet. Agents with a TLS front report them in their metric bundles (Import).</p>}
      {rows.length > 0 && (
        <table aria-label="Certificate rollouts">
          <thead><tr><th scope="col">Host</th><th scope="col">Plan</th><th scope="col">State</th><th scope="col">Exposure</th><th scope="col">Exposure over time</th><th scope="col">Success old / new</th><th scope="col">Handshake p95 old / new</th><th scope="col">Failures caused by new</th><th scope="col">Time to 100% / rollback</th><th scope="col">Why</th></tr></thead>
          <tbody>{rows.map((r) => (
            <tr key={`${r.host}/${r.planId ?? r.newCertificate}`} aria-label={`Rollout on ${r.host}`}>
              <td>{r.host}</td><td>{r.planId ?? '—'}{r.policy ? <><br /><small>{r.policy}</small></> : null}</td><td>{r.state}</td>
              <td>{exposureNow(r) === null ? '—' : `${+exposureNow(r)!.toFixed(1)}%`}</td>
              <td>{exposurePath(r)}</td>
              <td>{pct(r.old.successPercent)} / {pct(r.new.successPercent)}</td>
              <td>{ms(r.old.p95Ms)} / {ms(r.new.p95Ms)}</td>
              <td>{fmtInt(r.failuresCausedByNew)}</td>
              <td>{seconds(r.timeToFullSeconds)} / {seconds(r.timeToRollbackSeconds)}</td>
              <td>{r.rollbackReason ?? r.lastDecision ?? ''}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <p className="muted">A/B comparison of two host groups: coldroot rollout report --hosts-a FILE --hosts-b FILE.</p>
    </section>
  );
}

export function AgentsScreen() {
  return (
    <div>
      <CountersCard />
      <RolloutsCard />
      <section className="card" aria-labelledby="ag-generate">
        <h2 id="ag-generate">Generate agent packages</h2>
        <p className="muted">One signed agent-package bundle per host: the agent, its configuration, the trust anchors, a bootstrap certificate with its key, the systemd unit and install.sh.</p>
        <GenerateForm />
      </section>
    </div>
  );
}
