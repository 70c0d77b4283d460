/** Risk models: model versions, scores with evidence, and the action queue (filled by the risk work). */
export const risk = {
  version: 7,
  name: 'risk',
  sql: `SELECT 1;`,
};
