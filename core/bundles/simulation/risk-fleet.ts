import { ConsoleService } from '../../api/console-service.js';
import { simulateFleet, type FleetSummary } from './fleet-simulator.js';
import { riskScenario, type IncidentLabel, type RiskScenarioName } from './risk-scenarios.js';

export interface RiskFleetOptions {
  out: string;
  hosts: number;
  days: number;
  seed: number;
  scenario: RiskScenarioName;
  /** Day (from the start) and hour the incidents start. */
  incidentDay: number;
  incidentHour?: number;
}

/**
 * A simulated fleet with hourly metrics and a labelled incident on some hosts, its metrics bundles
 * imported into the fleet's console home: what the risk tests and demos score.
 */
export async function simulateRiskFleet(o: RiskFleetOptions): Promise<{ fleet: FleetSummary; labels: Map<string, IncidentLabel | null>; end: Date }> {
  const start = (o.incidentDay * 24) + (o.incidentHour ?? 2);
  const scenario = riskScenario(o.scenario, { seed: o.seed, intervalS: 3600, startFrom: start, startTo: start + 1 });
  const fleet = await simulateFleet({ hosts: o.hosts, days: o.days, seed: o.seed, out: o.out, intervalS: 3600, bundleBy: 'day', scenarios: [scenario] });
  const end = new Date(Date.parse(fleet.start) + o.days * 86_400_000);
  const svc = ConsoleService.open({ home: fleet.home, operator: 'fleet-simulator', now: () => end });
  try {
    await svc.importBundles(fleet.bundles);
  } finally {
    svc.close();
  }
  const labels = new Map(fleet.hosts.map((h, i) => [h.host, scenario.label({ index: i } as Parameters<typeof scenario.label>[0])]));
  return { fleet, labels, end };
}
