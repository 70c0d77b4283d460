/** The agent's TLS front for canary certificate rollouts: what the agent CLI and Node services import. */
export { serveTls, parseHostPort, type TlsFront, type TlsFrontOptions, type TlsFrontStats, type HostPort } from './tls-front.js';
export { CanaryRuntime, leafFingerprint, type CanaryRuntimeOptions, type CertificatePair, type RuntimeEvent, type RuntimeStatus } from './canary-runtime.js';
export { canaryArm, clientHash, clientPoint, murmurHash2, normalizeClientAddress, splitThreshold } from './client-split.js';
export { canarySniCallback, canaryServerOptions, attachCanary } from './sni-selection.js';
export { HandshakeOutcome, type SuccessOn } from './handshake-outcome.js';
export { nginxSnippet, haproxySnippet, haproxySeed, type SnippetInput, type NginxSnippet } from './proxy-snippets.js';
export { readProxyLog, parseNginxLine, parseHaproxyLine, armFromHistory, type LogReadContext } from './proxy-log-reader.js';
export { tlsFrontCommands, serveTlsCommand, canarySnippetCommand } from './tls-front-commands.js';
