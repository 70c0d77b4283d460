import { useState, type ReactNode } from 'react';
import type { ApiError } from '../store/types.js';

export function ErrorBanner({ error, title }: { error: ApiError | null | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{title ?? 'Refused'}: {error.code}</strong>
      <p>{error.message}</p>
      <p className="hint">Next step: {error.hint}</p>
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'ok' | 'warn'; children: ReactNode }) {
  return <div className={`banner banner-${kind}`} role="status">{children}</div>;
}

export function Progress({ done, total, message }: { done: number; total: number; message: string }) {
  const pct = total > 0 ? Math.round((100 * done) / total) : 0;
  return (
    <div className="progress" role="status">
      <progress max={Math.max(total, 1)} value={done} aria-label={message} />
      <span>{message} ({pct}%)</span>
    </div>
  );
}

export function Busy({ label }: { label: string }) {
  return <p className="busy" role="status" aria-live="polite">{label}…</p>;
}

export const fmtDate = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z').replace(/:\d\dZ$/, 'Z') : '—');
export const fmtDay = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '—');
export const fmtInt = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));
export const fmtBytes = (n: number | null | undefined) => {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

/** Offers text as a file download (a CRL, a chain): nothing leaves the machine. */
export function DownloadButton({ fileName, text, label }: { fileName: string; text: string; label: string }) {
  return (
    <button type="button" onClick={() => {
      const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }}>{label}</button>
  );
}

/** A PIN or passphrase field: its value lives in the caller's component state only and is cleared after use. */
export function SecretField({ id, label, value, onChange, autoFocus }: { id: string; label: string; value: string; onChange: (v: string) => void; autoFocus?: boolean }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret">
        <input id={id} type={shown ? 'text' : 'password'} autoComplete="off" spellCheck={false} value={value} autoFocus={autoFocus} onChange={(e) => onChange(e.target.value)} />
        <button type="button" className="link" aria-pressed={shown} onClick={() => setShown(!shown)}>{shown ? 'Hide' : 'Show'}</button>
      </div>
    </div>
  );
}

export function Field({ id, label, children, help }: { id: string; label: string; children: ReactNode; help?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {help && <p className="help" id={`${id}-help`}>{help}</p>}
    </div>
  );
}
