/** The canary rollout controller's public surface, shared by the console and the agent. */
export { CANARY_PLAN_SCHEMA_V1, CanaryPlanSchema, parseCanaryPlan, defaultCanaryPlan, type CanaryPlan, type CanaryPlanInput } from './canary-plan.js';
export { CanaryController, type CanaryControllerOptions, type CanaryDecision, type CanaryProgress, type CanaryState, type CanaryAction, type DecisionReason, type ExposureChange, type ArmDigest } from './canary-controller.js';
export { type Arm, type HandshakeObservation, TLS_ALERTS, CERTIFICATE_REJECTION_CAUSES, CLOSED_AFTER_HANDSHAKE, CLOSED_DURING_HANDSHAKE, HANDSHAKE_TIMEOUT, causeFromTlsError, causeFromAlertNumber, causeFromOpensslReason } from './handshake-observation.js';
export { MetricsWindow, type ArmSummary } from './metrics-window.js';
export { type Finding, type CanaryMetric } from './metric-comparison.js';
export { fixedStepPolicy, adaptiveStepPolicy, stepPolicyFor, onGrid, type StepPolicy, type StepInput, type StepResult } from './step-policy.js';
export { handshakeMetricFields, type HandshakeMetricFields } from './canary-metrics.js';
export { simulateRollout, DEFAULT_SIMULATION, type Population, type Strategy, type SimulationOptions, type SimulationResult } from './rollout-simulation.js';
export { ROLLOUT_PROGRESS_SCHEMA_V1, ROLLOUT_PROGRESS_FILE, RolloutProgressFileSchema, RolloutReportSchema, type RolloutProgressFile, type RolloutReport, type RolloutState } from './rollout-progress.js';
