import { useEffect, useState } from 'react';
import { Busy, ErrorBanner, Field, fmtBytes, Notice } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { BundleLimits } from '../store/types.js';
import { TokenPicker } from './token-picker.js';

const LIMIT_LABELS: Record<keyof BundleLimits, string> = {
  maxBundleBytes: 'Largest bundle file (bytes)', maxManifestBytes: 'Largest manifest or signature (bytes)', maxFileBytes: 'Largest payload file (bytes)',
  maxDecompressedBytes: 'Largest decompressed payload (bytes)', maxCompressionRatio: 'Highest compression ratio', maxFiles: 'Most payload files', maxLineBytes: 'Longest metric line (bytes)',
};

function Limits() {
  const defaults = useConsole((s) => s.settings.value?.bundleLimits ?? null);
  const current = useConsole((s) => s.bundleLimits);
  const setLimits = useConsole((s) => s.setBundleLimits);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  if (!defaults) return <Busy label="Reading the defaults" />;
  const keys = Object.keys(LIMIT_LABELS) as Array<keyof BundleLimits>;
  return (
    <form onSubmit={(e) => {
      e.preventDefault();
      const out: Partial<BundleLimits> = {};
      for (const k of keys) if (draft[k]) out[k] = Number(draft[k]);
      setLimits(Object.keys(out).length ? out : null);
      setSaved(true);
    }}>
      <p>Every bundle is checked against these limits before anything is read into the home. Changes apply to imports in this session.</p>
      <div className="limits">
        {keys.map((k) => (
          <Field key={k} id={`limit-${k}`} label={LIMIT_LABELS[k]} help={`default ${defaults[k].toLocaleString('en-US')}${k.endsWith('Bytes') ? ` (${fmtBytes(defaults[k])})` : ''}`}>
            <input id={`limit-${k}`} type="number" min={1} placeholder={String(current?.[k] ?? defaults[k])} value={draft[k] ?? ''} onChange={(e) => { setDraft({ ...draft, [k]: e.target.value }); setSaved(false); }} aria-describedby={`limit-${k}-help`} />
          </Field>
        ))}
      </div>
      <div className="actions">
        <button type="submit" className="primary">Use these limits</button>
        <button type="button" onClick={() => { setDraft({}); setLimits(null); setSaved(true); }}>Back to the defaults</button>
      </div>
      {saved && <Notice kind="ok">{current ? 'Imports in this session use your limits.' : 'Imports use the default limits.'}</Notice>}
    </form>
  );
}

/** The thresholds that turn scores into actions, read only, with the file they come from. */
function RiskPolicyCard() {
  const policy = useConsole((s) => s.riskPolicy);
  const load = useConsole((s) => s.loadRiskPolicy);
  useEffect(() => { void load(); }, [load]);
  if (policy.error) return <ErrorBanner error={policy.error} />;
  const v = policy.value;
  if (!v) return <Busy label="Reading the risk policy" />;
  const p = v.policy;
  const auto = (a: string) => (p.autoApprove[a] ? 'approved by the policy' : 'waits for an operator');
  const rows: Array<[string, string, string]> = [
    ['Alert', `risk ≥ ${p.alert.minRisk}`, auto('alert')],
    ['Investigation mode', `risk ≥ ${p.investigation.minRisk}: metrics every ${p.investigation.collectIntervalSeconds} s${p.investigation.logExcerpts ? ' with log excerpts' : ''} for ${p.investigation.durationHours} h`, auto('investigation')],
    ['Forced renewal (new key)', `risk ≥ ${p.forcedRenewal.minRisk}`, auto('forced-renewal')],
    ['Emergency certificate', `risk ≥ ${p.emergencyCertificate.minRisk}; ${p.emergencyCertificate.issuer ? `issuer ${p.emergencyCertificate.issuer.caId} (approved by ${p.emergencyCertificate.issuer.approvedBy} at ${p.emergencyCertificate.issuer.approvedAt})` : 'no issuer configured: never proposed'}`, auto('emergency-certificate')],
    ['Predictive renewal', `degradation ≥ ${p.predictiveRenewal.minDegradation}, ${p.predictiveRenewal.leadDays} days before the predicted date`, auto('predictive-renewal')],
  ];
  return (
    <>
      <p>From <strong className="mono wrap">{v.source}</strong> (SHA-256 <span className="mono">{v.sha256.slice(0, 16)}…</span>). Every queued action records the policy it was proposed under.</p>
      <table aria-label="Risk policy thresholds">
        <thead><tr><th scope="col">Action</th><th scope="col">Proposed when</th><th scope="col">Approval</th></tr></thead>
        <tbody>{rows.map(([a, when, approval]) => <tr key={a}><td>{a}</td><td>{when}</td><td>{approval}</td></tr>)}</tbody>
      </table>
      <p className="muted">Read only here. To change it, write risk-policy.json in the home (strictly parsed; see docs/risk.md); the next scoring run applies it.</p>
    </>
  );
}

export function SettingsScreen() {
  const settings = useConsole((s) => s.settings);
  const load = useConsole((s) => s.loadSettings);
  const session = useConsole((s) => s.session.value);
  const [token, setToken] = useState<{ modulePath?: string; tokenLabel?: string }>({});
  useEffect(() => { void load(); }, [load]);
  return (
    <div>
      <section className="card" aria-labelledby="set-hsm">
        <h2 id="set-hsm">HSM modules and tokens</h2>
        <ErrorBanner error={settings.error} />
        {settings.value && (
          <table aria-label="Known PKCS#11 modules">
            <thead><tr><th scope="col">Module</th><th scope="col">On this machine</th></tr></thead>
            <tbody>{settings.value.pkcs11Modules.map((m) => <tr key={m.path}><td className="mono">{m.path}</td><td>{m.present ? 'yes' : 'no'}</td></tr>)}</tbody>
          </table>
        )}
        <TokenPicker modulePath={token.modulePath} tokenLabel={token.tokenLabel} onChange={(modulePath, tokenLabel) => setToken({ modulePath, tokenLabel })} />
        <p className="muted">PINs are asked for at the moment a key is used and never stored.</p>
      </section>
      <section className="card" aria-labelledby="set-limits">
        <h2 id="set-limits">Bundle limits</h2>
        <Limits />
      </section>
      <section className="card" aria-labelledby="set-policy">
        <h2 id="set-policy">Risk policy</h2>
        <RiskPolicyCard />
      </section>
      <section className="card" aria-labelledby="set-profiles">
        <h2 id="set-profiles">Certificate profiles</h2>
        {settings.value && (
          <table aria-label="Certificate profiles">
            <thead><tr><th scope="col">Profile</th><th scope="col">Kind</th><th scope="col">Validity (default / max)</th><th scope="col">Description</th></tr></thead>
            <tbody>{settings.value.profiles.map((p) => <tr key={p.name}><td>{p.name}</td><td>{p.kind}</td><td>{p.validityDefault} / {p.validityMax}</td><td>{p.description}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      {session && <p className="muted">Home {session.home}; operator {session.operator} (set with --operator or COLDROOT_OPERATOR when the console starts).</p>}
    </div>
  );
}
