import { z } from 'zod';

/** The files of an agent-package bundle (docs/agent-package.md): paths as the package and install.sh use them. */
export const AGENT_PACKAGE_FILES = {
  agent: 'agent/coldroot-agent.mjs',
  config: 'config.json',
  anchors: 'trust/anchors.pem',
  bootstrapCert: 'bootstrap/cert.pem',
  bootstrapKey: 'bootstrap/key.pem',
  unit: 'coldroot-agent.service',
  install: 'install.sh',
} as const;
/** Present only when the build machine could make a Node single executable. */
export const AGENT_PACKAGE_SEA_FILE = 'agent/coldroot-agent';
export const AGENT_CONFIG_SCHEMA_V1 = 'coldroot.agent-config.v1';

/** The console reads config.json only as far as this: a JSON object naming its host (the agent parses it fully). */
export const AgentPackageConfigFileSchema = z.looseObject({ host: z.string().min(1).max(253) });
