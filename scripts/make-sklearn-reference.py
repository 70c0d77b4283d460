#!/usr/bin/python3
"""Writes fixtures/models/sklearn-isolation-forest.json: a data set with planted outliers and
scikit-learn's IsolationForest.score_samples on it, the reference that
core/models/isolation-forest.test.ts checks our forest against (the test reads only the fixture).

Run: /usr/bin/python3 scripts/make-sklearn-reference.py   (apt: python3-sklearn)
Everything is seeded; re-running with the same numpy/scikit-learn versions gives the same file.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

SEED = 20240601
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'models', 'sklearn-isolation-forest.json')


def make_data(rng):
    cols = 6
    # Two ordinary operating modes with correlated features, like busy and quiet hosts.
    cov = np.full((cols, cols), 0.5) + 0.5 * np.eye(cols)
    a = rng.multivariate_normal(np.zeros(cols), cov, size=600)
    b = rng.multivariate_normal(np.array([5, 5, 0, 0, 2, -1.0]), 0.25 * np.eye(cols), size=380)
    outliers = []
    groups = []
    # Far from both modes in every feature.
    for _ in range(8):
        outliers.append(rng.uniform(-1, 1, cols) + rng.choice([-9.0, 12.0], cols))
        groups.append('global')
    # Breaks the correlation of mode A: each feature alone is within range.
    for _ in range(6):
        row = rng.normal(0, 0.3, cols)
        row[0::2] += 3.2
        row[1::2] -= 3.2
        outliers.append(row)
        groups.append('correlation')
    # Ordinary except one feature far out (one failing metric). Harder for an isolation forest:
    # a random split picks that feature only one time in six.
    for k in range(6):
        row = rng.multivariate_normal(np.zeros(cols), cov)
        row[k] += 8.0
        outliers.append(row)
        groups.append('singleFeature')
    data = np.vstack([a, b, np.array(outliers)])
    group_of = [''] * (len(a) + len(b)) + groups
    order = rng.permutation(len(data))
    data = np.round(data[order], 4)
    planted = {}
    for new_index, old_index in enumerate(order):
        g = group_of[old_index]
        if g:
            planted.setdefault(g, []).append(new_index)
    return data, planted


def main():
    rng = np.random.default_rng(SEED)
    data, planted = make_data(rng)
    outliers = sorted(i for g in planted.values() for i in g)
    scores = {}
    for n_estimators in (100, 1000):
        model = IsolationForest(n_estimators=n_estimators, max_samples=256, random_state=SEED).fit(data)
        scores[str(n_estimators)] = [float(s) for s in model.score_samples(data)]
    rank = np.argsort(np.argsort(scores['1000']))
    worst = {g: int(max(rank[i] for i in idx)) for g, idx in planted.items()}
    fixture = {
        'generator': 'scripts/make-sklearn-reference.py',
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'seed': SEED,
        'maxSamples': 256,
        'note': 'scoreSamples[n] is scikit-learn IsolationForest(n_estimators=n, max_samples=256).score_samples(data): minus the anomaly score s(x)',
        'cols': int(data.shape[1]),
        'data': [[float(v) for v in row] for row in data],
        'outliers': planted,
        'scoreSamples': scores,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.normpath(OUT)}: {len(data)} rows, {len(outliers)} planted outliers, '
          f'lowest rank of each group in scikit-learn\'s scores (0 = most anomalous): {worst}', file=sys.stderr)


if __name__ == '__main__':
    main()
