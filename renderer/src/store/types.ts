import type { ApiError, ApiResult, In, Out } from '../../../core/api/contract.js';

export type { ApiError, ApiResult, In, Out };
export type SessionInfo = Out<'session'>;
export type Overview = Out<'overview'>;
export type CaHealth = Overview['cas'][number];
export type CaDraft = In<'previewCa'>['draft'];
export type CaPreview = Out<'previewCa'>;
export type CertificateQuery = In<'queryCertificates'>;
export type CertificateRow = Out<'queryCertificates'>['rows'][number];
export type CertificateDetail = Out<'getCertificate'>;
export type InspectReport = Out<'inspectBundle'>;
export type ImportOutcome = Out<'importBundles'>[number];
export type QuarantineEntry = Out<'listQuarantine'>[number];
export type BundleRow = Out<'listBundles'>[number];
export type RenewalRequestRow = Out<'listRenewalRequests'>[number];
export type AuditEntry = Out<'listAudit'>['entries'][number];
export type AuditVerifyReport = Out<'verifyAudit'>;
export type Settings = Out<'settings'>;
export type TokenInfo = Out<'listPkcs11Tokens'>[number];
export type BundleLimits = Settings['bundleLimits'];
export type RenewalCounters = Out<'renewalCounters'>;
export type RolloutReport = Out<'rolloutReport'>;
export type AgentPackagePreview = Out<'previewAgentPackages'>;
export type AgentPackages = Out<'generateAgentPackages'>;

/** A value the console asked for: what came back last, the error if it failed, and whether a request is out. */
export interface Loadable<T> {
  value: T | null;
  error: ApiError | null;
  loading: boolean;
}

export const idle = <T>(): Loadable<T> => ({ value: null, error: null, loading: false });

export function settle<T>(prev: Loadable<T>, r: ApiResult<T>): Loadable<T> {
  return r.ok ? { value: r.value, error: null, loading: false } : { value: prev.value, error: r.error, loading: false };
}
