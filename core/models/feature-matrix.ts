import { ColdrootError } from '../errors.js';

/** Rows of numeric features, row-major in one Float64Array: value (r, c) is data[r * cols + c]. */
export interface FeatureMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** Wraps row-major data as a matrix, checking that its length is a whole number of rows. */
export function featureMatrix(data: Float64Array, cols: number): FeatureMatrix {
  if (!Number.isInteger(cols) || cols < 1) {
    throw new ColdrootError('MODEL_BAD_MATRIX', `Feature matrix column count must be a positive integer, got ${cols}`,
      'Pass the number of features per row.');
  }
  if (data.length % cols !== 0) {
    throw new ColdrootError('MODEL_BAD_MATRIX',
      `Feature matrix data has ${data.length} values, not a multiple of ${cols} columns`,
      'Check that every row has the same number of features.');
  }
  return { data, rows: data.length / cols, cols };
}

/** Builds a matrix from an array of equal-length rows (convenient in tests and small inputs). */
export function matrixFromRows(rows: readonly (readonly number[])[]): FeatureMatrix {
  if (rows.length === 0) {
    throw new ColdrootError('MODEL_BAD_MATRIX', 'Feature matrix has no rows', 'Provide at least one row of features.');
  }
  const cols = rows[0].length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) {
      throw new ColdrootError('MODEL_BAD_MATRIX', `Feature row ${r} has ${row.length} values, row 0 has ${cols}`,
        'Check that every row has the same number of features.');
    }
    data.set(row, r * cols);
  });
  return featureMatrix(data, cols);
}

/** Throws on the first NaN or infinite value, naming its row and column: models cannot split on them. */
export function assertFinite(x: FeatureMatrix, what: string): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      const row = Math.floor(i / x.cols);
      throw new ColdrootError('MODEL_NON_FINITE_FEATURE',
        `${what}: feature ${i - row * x.cols} of row ${row} is ${v}`,
        'Impute or drop rows with missing or infinite features before fitting or scoring.');
    }
  }
}
