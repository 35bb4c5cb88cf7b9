"""Single-row prediction for the inline checks, without scikit-learn's per-call overhead.

scikit-learn is built for batches: one ``predict_proba`` of one row validates the input, sets up OpenMP and walks
each of the model's trees through a separate call, which took 13-20 ms per model here (IsolationForest's 64 trees
one ``tree.apply`` each). These walkers read the fitted trees once into Python lists and follow one row through
them: the same comparisons as scikit-learn's Cython code (``_predictor.pyx``, ``_iforest.py``; float64 for the
gradient boosting, float32 for the isolation trees), so the result is the same number. A test holds them equal
to scikit-learn's own answers on generated data. Batches still go through scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble._iforest import _average_path_length


class FastBoosting:
    """``HistGradientBoostingClassifier.predict_proba(x)[:, 1]`` of one row (binary log-loss)."""

    def __init__(self, hgb) -> None:
        self.baseline = float(np.ravel(hgb._baseline_prediction)[0])
        # With categorical features the model sees the categorical columns first, ordinal-encoded (unknown: NaN),
        # then the numerical ones (its ColumnTransformer); the trees' feature indexes are in that order.
        self.numerical: list[int] = list(range(hgb.n_features_in_))
        self.categorical: list[tuple[int, dict[float, float]]] = []
        if hgb._preprocessor is not None:
            by_name = {name: (transformer, columns) for name, transformer, columns in hgb._preprocessor.transformers_}
            encoder, mask = by_name["encoder"]
            mask = np.asarray(mask, dtype=bool)
            self.numerical = np.flatnonzero(~mask).tolist()
            self.categorical = [
                (int(column), {float(value): float(code) for code, value in enumerate(categories)})
                for column, categories in zip(np.flatnonzero(mask), encoder.categories_, strict=True)
            ]
        known, f_idx_map = hgb._bin_mapper.make_known_categories_bitsets()
        self.known = known.tolist()
        self.f_idx_map = f_idx_map.tolist()
        self.trees = []
        for (predictor,) in hgb._predictors:
            nodes = predictor.nodes
            self.trees.append((
                nodes["is_leaf"].tolist(), nodes["value"].tolist(), nodes["feature_idx"].tolist(),
                nodes["num_threshold"].tolist(), nodes["missing_go_to_left"].tolist(), nodes["left"].tolist(),
                nodes["right"].tolist(), nodes["is_categorical"].tolist(), nodes["bitset_idx"].tolist(),
                predictor.raw_left_cat_bitsets.tolist(),
            ))

    def probability(self, row: list[float]) -> float:
        x = [codes.get(float(row[column]), math.nan) for column, codes in self.categorical]
        x += [row[column] for column in self.numerical]
        raw = self.baseline
        known, f_idx_map = self.known, self.f_idx_map
        for leaf, value, feature, threshold, missing_left, left, right, categorical, bitset, cat_bits in self.trees:
            i = 0
            while not leaf[i]:
                v = x[feature[i]]
                if v != v:  # NaN
                    go_left = missing_left[i]
                elif categorical[i]:
                    c = int(v)
                    if v < 0:
                        go_left = missing_left[i]
                    elif (cat_bits[bitset[i]][c >> 5] >> (c & 31)) & 1:
                        go_left = True
                    elif (known[f_idx_map[feature[i]]][c >> 5] >> (c & 31)) & 1:
                        go_left = False
                    else:
                        go_left = missing_left[i]  # unknown category: treated as missing
                else:
                    go_left = v <= threshold[i]
                i = left[i] if go_left else right[i]
            raw += value[i]
        return 1.0 / (1.0 + math.exp(-raw))


class FastIsolation:
    """``-IsolationForest.score_samples(x)`` of one row (higher: more anomalous)."""

    def __init__(self, forest) -> None:
        self.trees = []
        for tree, features, lengths, averages in zip(
            forest.estimators_, forest.estimators_features_, forest._decision_path_lengths,
            forest._average_path_length_per_tree, strict=True,
        ):
            t = tree.tree_
            self.trees.append((
                t.children_left.tolist(), t.children_right.tolist(), t.feature.tolist(), t.threshold.tolist(),
                [int(f) for f in features], (lengths + averages - 1.0).tolist(),
            ))
        self.denominator = len(forest.estimators_) * float(_average_path_length([forest._max_samples])[0])

    def anomaly(self, x: list[float]) -> float:
        x32 = np.asarray(x, dtype=np.float32).tolist()  # the trees compare float32 inputs, as tree.apply does
        depth = 0.0
        for left, right, feature, threshold, features, leaf_depth in self.trees:
            i = 0
            while left[i] != -1:
                i = left[i] if x32[features[feature[i]]] <= threshold[i] else right[i]
            depth += leaf_depth[i]
        return 2.0 ** (-depth / self.denominator)
