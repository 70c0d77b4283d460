import { useEffect, useState, type ReactNode } from 'react';
import { Busy, DownloadButton, ErrorBanner, Field, fmtDate, fmtInt, SecretField } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ApiError, CaHealth, Out } from '../store/types.js';
import { Ceremony } from './ca-ceremony.js';

type Ceremonial = { kind: 'root' } | { kind: 'intermediate'; parentId: string } | null;

function Tree({ cas, parentId, selected, onSelect }: { cas: CaHealth[]; parentId: string | null; selected: string | null; onSelect(id: string): void }) {
  const children = cas.filter((c) => c.parentId === parentId);
  if (!children.length) return null;
  return (
    <ul className="tree">
      {children.map((c) => (
        <li key={c.id}>
          <button type="button" className={selected === c.id ? 'tree-node selected' : 'tree-node'} aria-pressed={selected === c.id} onClick={() => onSelect(c.id)}>
            <span className="tree-kind">{c.kind}</span> {c.name}{c.warnings.length ? <span className="warn-dot" aria-label={`${c.warnings.length} warnings`}> !</span> : null}
          </button>
          <Tree cas={cas} parentId={c.id} selected={selected} onSelect={onSelect} />
        </li>
      ))}
    </ul>
  );
}

/** Signs with a CA's key after asking for its secret (CRL, OCSP); the secret stays in this component. */
function KeyAction({ ca, what, onRun, children }: { ca: CaHealth; what: string; onRun(secret: { pin?: string; passphrase?: string }): Promise<ApiError | null>; children?: ReactNode }) {
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const id = `${what.replace(/\W+/g, '-').toLowerCase()}-secret`;
  return (
    <form className="key-action" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      const err = await onRun(ca.keyStorage === 'pkcs11' ? { pin: secret } : { passphrase: secret });
      setSecret('');
      setBusy(false);
      setError(err);
    }}>
      {children}
      <SecretField id={id} label={ca.keyStorage === 'pkcs11' ? `Token PIN of ${ca.id}` : `Key passphrase of ${ca.id}`} value={secret} onChange={setSecret} />
      <button type="submit" className="primary" disabled={busy || !secret}>{what}</button>
      {busy && <Busy label={`${what}: signing`} />}
      <ErrorBanner error={error} />
    </form>
  );
}

function CaDetail({ ca, onCeremony }: { ca: CaHealth; onCeremony(c: Ceremonial): void }) {
  const publishCrl = useConsole((s) => s.publishCrl);
  const presignOcsp = useConsole((s) => s.presignOcsp);
  const exportChain = useConsole((s) => s.exportChain);
  const [crl, setCrl] = useState<Out<'publishCrl'> | null>(null);
  const [ocsp, setOcsp] = useState<Out<'presignOcsp'> | null>(null);
  const [chain, setChain] = useState<Out<'exportChain'> | null>(null);
  const [chainError, setChainError] = useState<ApiError | null>(null);
  const [hours, setHours] = useState(168);
  const [outDir, setOutDir] = useState('');
  useEffect(() => { setCrl(null); setOcsp(null); setChain(null); setChainError(null); }, [ca.id]);
  const rows: Array<[string, string]> = [
    ['Id', ca.id], ['Kind', ca.kind], ['Status', ca.status], ['Subject', ca.subject], ['Serial', ca.serial ?? '—'], ['Valid', `${fmtDate(ca.notBefore)} to ${fmtDate(ca.notAfter)}`],
    ['Key', `${ca.keyAlgorithm}, ${ca.keyStorage === 'pkcs11' ? `PKCS#11 token (${ca.tokenPresent ? 'reachable' : 'not reachable'})` : 'software (encrypted)'}`], ['Key URI', ca.keyUri.split('?')[0]],
    ['Issued', `${fmtInt(ca.certificates)} certificates, ${fmtInt(ca.revoked)} revoked`], ['Last CRL', ca.lastCrl ? `#${ca.lastCrl.number} at ${fmtDate(ca.lastCrl.thisUpdate)}, next update ${fmtDate(ca.lastCrl.nextUpdate)}` : 'none yet'],
    ['Writes into what it issues', `CRL ${ca.crlUrl ?? 'none'} · OCSP ${ca.ocspUrl ?? 'none'}`],
  ];
  return (
    <section className="card" aria-labelledby="ca-detail-title">
      <h2 id="ca-detail-title">{ca.name}</h2>
      {ca.warnings.length > 0 && <ul className="warnings" aria-label="Needs attention">{ca.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
      <table className="kv"><tbody>{rows.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}</tbody></table>
      <div className="actions">
        <button type="button" onClick={() => onCeremony({ kind: 'intermediate', parentId: ca.id })} disabled={ca.status !== 'active'}>New intermediate under this CA</button>
        <button type="button" onClick={async () => { const r = await exportChain(ca.id); if (r.ok) setChain(r.value); else setChainError(r.error); }}>Export chain</button>
      </div>
      <ErrorBanner error={chainError} />
      {chain && (
        <div>
          <p role="status">Chain of {chain.certificates} certificates, {ca.id} first.</p>
          <DownloadButton fileName={chain.fileName} text={chain.pem} label={`Download ${chain.fileName}`} />
          <pre className="pem" tabIndex={0} aria-label="Chain (PEM)">{chain.pem}</pre>
        </div>
      )}
      <div className="grid2">
        <div>
          <h3>Publish a CRL</h3>
          <KeyAction ca={ca} what="Sign and publish the CRL" onRun={async (secret) => { const r = await publishCrl({ caId: ca.id, secret, nextUpdateHours: hours }); if (r.ok) setCrl(r.value); return r.ok ? null : r.error; }}>
            <Field id="crl-hours" label="Hours until nextUpdate"><input id="crl-hours" type="number" min={1} max={9600} value={hours} onChange={(e) => setHours(Number(e.target.value))} /></Field>
          </KeyAction>
          {crl && (
            <div role="status">
              <p className="ok-line">CRL #{crl.crlNumber}: {crl.revokedCount} revoked, this update {fmtDate(crl.thisUpdate)}, next update {fmtDate(crl.nextUpdate)}.</p>
              <DownloadButton fileName={crl.fileName} text={crl.pem} label={`Download ${crl.fileName}`} />
            </div>
          )}
        </div>
        <div>
          <h3>Pre-sign OCSP responses</h3>
          <KeyAction ca={ca} what="Pre-sign OCSP responses" onRun={async (secret) => { const r = await presignOcsp({ caId: ca.id, secret, outDir: outDir || undefined }); if (r.ok) setOcsp(r.value); return r.ok ? null : r.error; }}>
            <Field id="ocsp-dir" label="Output folder on this machine (empty: inside the home)"><input id="ocsp-dir" value={outDir} onChange={(e) => setOutDir(e.target.value)} placeholder="/media/usb/ocsp" /></Field>
          </KeyAction>
          {ocsp && <p className="ok-line" role="status">{fmtInt(ocsp.responses)} responses ({fmtInt(ocsp.good)} good, {fmtInt(ocsp.revoked)} revoked) signed by {ocsp.signedBy} into {ocsp.outDir}, valid to {fmtDate(ocsp.nextUpdate)}.</p>}
        </div>
      </div>
    </section>
  );
}

export function CaScreen() {
  const cas = useConsole((s) => s.cas);
  const load = useConsole((s) => s.loadCas);
  const selected = useConsole((s) => s.selectedCa);
  const select = useConsole((s) => s.selectCa);
  const [ceremony, setCeremony] = useState<Ceremonial>(null);
  useEffect(() => { void load(); }, [load]);
  if (ceremony) {
    return <Ceremony kind={ceremony.kind} parentId={ceremony.kind === 'intermediate' ? ceremony.parentId : undefined} onClose={(created) => { setCeremony(null); if (created) select(created.id); }} />;
  }
  const list = cas.value ?? [];
  const current = list.find((c) => c.id === selected) ?? null;
  return (
    <div className="split">
      <section className="card tree-card" aria-labelledby="tree-title">
        <h2 id="tree-title">Hierarchy</h2>
        {cas.loading && !cas.value && <Busy label="Reading the CAs" />}
        <ErrorBanner error={cas.error} />
        {list.length === 0 && cas.value && <p>No CA yet.</p>}
        <Tree cas={list} parentId={null} selected={selected} onSelect={select} />
        <button type="button" className="primary" onClick={() => setCeremony({ kind: 'root' })}>New root CA</button>
      </section>
      {current && <CaDetail ca={current} onCeremony={setCeremony} />}
    </div>
  );
}
