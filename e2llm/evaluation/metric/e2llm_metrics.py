"""E2LLM task metrics: an ``evaluate`` metric module, computed with scikit-learn.

Load it locally, without network::

    import evaluate
    from e2llm.evaluation.metric import METRIC_PATH
    ied = evaluate.load(str(METRIC_PATH), config_name="ied")
    ied.compute(predictions=["sad", "invalid"], references=["sad", "fear"])

Inputs are the *parsed* answers (strings): ``predictions`` from the answer parser, which returns
``"invalid"`` for an answer it cannot read, and ``references`` the canonical ground truth.

``config_name`` (or ``task=`` at ``compute``) picks the task:

``ied`` (classification over ``labels``, by default the seven SEED-VII emotions)
    ``balanced_accuracy``: mean over the emotions present in the references of their per-class
    accuracy (recall). ``per_class``: {emotion: accuracy} for each emotion present in the
    references (an emotion without test samples has no accuracy and is left out).
    ``cohen_kappa``: Cohen's kappa between references and predictions. ``weighted_f1``: F1 of each
    emotion present in the references, averaged with their supports as weights.
    ``invalid_rate``: fraction of predictions that are not one of ``labels``. ``n``: samples.
    An invalid prediction is scored as one more class, ``"invalid"``, that no reference has: it
    is wrong for accuracy, lowers recall (and so F1) of its reference's emotion, and takes part in
    kappa as its own category. Undefined values are given a number, never NaN: kappa is 0 when
    chance agreement is total (e.g. references and predictions all one and the same class), and an
    F1 with no predicted samples is 0. With ``confusion_matrix=True`` the result also holds
    ``confusion_matrix``: {"labels" (rows, the references' classes = ``labels``), "predicted"
    (columns, ``labels`` + ``"invalid"``), "counts" (list of rows of ints)}.

``epc``, ``ess``, ``eim``, ``esr`` (or ``default``): exact-match tasks
    ``accuracy``: fraction of predictions equal to their reference; ``invalid_rate``: fraction of
    predictions equal to ``"invalid"``; ``n``.

With ``intervals=True`` every score ``<name>`` also gets ``<name>_ci95``: ``[low, high]``, its 95 %
confidence interval over the sampling of test samples. A proportion (accuracy, invalid rate, one
emotion's recall) gets the Wilson score interval, which stays inside [0, 1] and is not empty at 0
or 100 %; balanced accuracy, kappa and weighted F1 get a percentile bootstrap (``n_resamples``
resamples of the samples with replacement, seeded by ``seed``, with ``scipy.stats.bootstrap``).
An interval that cannot be computed (a bootstrap on one sample) is ``None``.

:func:`paired_difference` gives the difference of the headline score (:data:`HEADLINE`) between
two sets of predictions for the same samples (a model against a control of it), with a paired
bootstrap interval: the same resampled samples score both.

:func:`random_baseline` gives the expected scores of uniform random guessing (:data:`CHANCE`).
This file imports nothing of the ``e2llm`` package, so ``evaluate`` can copy it alone.
"""

from __future__ import annotations

import warnings

import datasets
import evaluate
import numpy as np
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, confusion_matrix, f1_score, recall_score

INVALID = "invalid"

# The seven SEED-VII emotions in the paper's order (Table 2); the same as ``e2llm.EMOTIONS``.
DEFAULT_LABELS: tuple[str, ...] = ("happy", "surprise", "neutral", "disgust", "fear", "sad", "anger")

CLASSIFICATION_TASKS: tuple[str, ...] = ("ied",)
ACCURACY_TASKS: tuple[str, ...] = ("epc", "ess", "eim", "esr", "default")

# The score each task is ranked by (the paper's: IED by balanced accuracy, the others by accuracy).
HEADLINE: dict[str, str] = {"ied": "balanced_accuracy", "epc": "accuracy", "ess": "accuracy", "eim": "accuracy",
                            "esr": "accuracy", "default": "accuracy"}  # fmt: skip
INTERVAL_LEVEL = 0.95
N_RESAMPLES = 2000

# Chance accuracy of uniform random guessing: IED 1 of 7 emotions; EPC yes/no/equal; ESS a/b/c;
# EIM one of the 3! = 6 matchings; ESR a/b/c.
CHANCE: dict[str, float] = {"ied": 1 / 7, "epc": 1 / 3, "ess": 1 / 3, "eim": 1 / 6, "esr": 1 / 3}

_DESCRIPTION = "Scores of E2LLM's five EEG emotion tasks (IED, EPC, ESS, EIM, ESR) from parsed answers."
_CITATION = "E2-LLM: Bridging Neural Signals and Interpretable Affective Analysis (IED, EPC, ESS, EIM, ESR protocol)."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): parsed answers; "invalid" where the answer could not be read.
    references (list of str): canonical ground-truth answers.
    task (str, optional): "ied", "epc", "ess", "eim", "esr"; defaults to the config name.
    labels (list of str, optional): IED classes; default the seven SEED-VII emotions.
    confusion_matrix (bool, optional): IED only; add the confusion matrix (counts).
    intervals (bool, optional): add a 95 % interval `<score>_ci95` beside each score.
    n_resamples (int, optional): bootstrap resamples for the intervals (default 2000).
    seed (int, optional): seed of the bootstrap (default 0).
Returns:
    ied: balanced_accuracy, cohen_kappa, weighted_f1, per_class, invalid_rate, n;
    other tasks: accuracy, invalid_rate, n; with intervals, each score's `_ci95` too.
Examples:
    >>> m = evaluate.load("path/to/e2llm_metrics.py", config_name="epc")
    >>> m.compute(predictions=["yes", "invalid"], references=["yes", "no"])
    {'accuracy': 0.5, 'invalid_rate': 0.5, 'n': 2}
"""


# -- intervals -----------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int) -> list[float] | None:
    """The 95 % Wilson score interval of a proportion ``successes / n`` (``None`` when n = 0)."""
    if n < 1:
        return None
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=INTERVAL_LEVEL, method="wilson")
    return [float(ci.low), float(ci.high)]


def bootstrap_interval(
    statistic, data, n_resamples: int = N_RESAMPLES, seed: int = 0, paired: bool = True
) -> list[float] | None:
    """The 95 % percentile-bootstrap interval of ``statistic``.

    Args:
        statistic: ``statistic(*arrays)`` → one value per resample; each array has shape
            (resamples, n_i). ``paired``: the same sample indices are drawn for all arrays (one
            entry per sample in each); otherwise each array is resampled on its own (independent
            samples, e.g. different tasks).
        data: 1-d arrays.
        n_resamples: how many resamples (at least 1,000 for a 95 % interval).
        seed: seed of the resampling.

    Returns:
        ``[low, high]``, or ``None`` when an array has fewer than two entries.
    """
    if min(len(d) for d in data) < 2:
        return None

    def vectorized(*arrays, axis=-1):
        arrays = [np.moveaxis(a, axis, -1) for a in arrays]
        shape = arrays[0].shape[:-1]
        flat = [a.reshape(-1, a.shape[-1]) for a in arrays]
        return np.asarray(statistic(*flat), dtype=float).reshape(shape)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate distribution (all resamples equal) is a valid answer here
        result = stats.bootstrap(
            tuple(np.asarray(d) for d in data),
            vectorized,
            n_resamples=int(n_resamples),
            vectorized=True,
            paired=paired,
            confidence_level=INTERVAL_LEVEL,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def _confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """(R, k, k) confusion counts of R rows of class codes (R, n), in one ``bincount``."""
    rows = y_true.shape[0]
    flat = (y_true * k + y_pred) + (np.arange(rows) * k * k)[:, None]
    return np.bincount(flat.ravel(), minlength=rows * k * k).reshape(rows, k, k).astype(float)


def ied_statistics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """Balanced accuracy, Cohen's kappa and weighted F1 of R rows of class codes at once.

    ``y_true`` and ``y_pred`` are (R, n) integer codes; code ``n_classes`` is ``"invalid"`` (only
    in predictions). The same definitions as :func:`classification_scores` (which scores with
    scikit-learn): recall and F1 over the classes present in the references, kappa 0 when chance
    agreement is total. Returns (R,) arrays.
    """
    k = n_classes + 1
    counts = _confusion_counts(np.asarray(y_true), np.asarray(y_pred), k)
    n = counts.sum(axis=(1, 2))
    support, predicted, hits = counts.sum(axis=2), counts.sum(axis=1), np.diagonal(counts, axis1=1, axis2=2)
    present = support > 0
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=present)
    balanced = recall.sum(axis=1) / present.sum(axis=1)
    observed = hits.sum(axis=1) / n
    chance = (support * predicted).sum(axis=1) / n**2
    undefined = np.isclose(chance, 1.0)
    kappa = np.where(undefined, 0.0, (observed - chance) / np.where(undefined, 1.0, 1.0 - chance))
    f1 = np.divide(2 * hits, support + predicted, out=np.zeros_like(hits), where=(support + predicted) > 0)
    weighted_f1 = (support * f1).sum(axis=1) / n
    return {"balanced_accuracy": balanced, "cohen_kappa": kappa, "weighted_f1": weighted_f1}


def _codes(predictions, references, labels) -> tuple[np.ndarray, np.ndarray]:
    index = {label: i for i, label in enumerate(labels)}
    return (
        np.array([index[str(r)] for r in references], dtype=np.int64),
        np.array([index.get(str(p), len(labels)) for p in predictions], dtype=np.int64),
    )


def _ied_intervals(y_true, y_pred, labels, present, hits, n_resamples, seed) -> dict:
    k = len(labels)
    out = {
        f"{name}_ci95": bootstrap_interval(
            lambda t, p, name=name: ied_statistics(t, p, k)[name], (y_true, y_pred), n_resamples, seed
        )
        for name in ("balanced_accuracy", "cohen_kappa", "weighted_f1")
    }
    out["per_class_ci95"] = {
        label: wilson_interval(hits[label], int((y_true == labels.index(label)).sum())) for label in present
    }
    out["invalid_rate_ci95"] = wilson_interval(int((y_pred == k).sum()), len(y_pred))
    return out


def mean_accuracy(predictions_by_task, references_by_task, n_resamples=N_RESAMPLES, seed=0) -> dict:
    """The mean of several tasks' accuracies (the paper's "Avg."), with a 95 % bootstrap interval
    that resamples each task's samples on its own.

    Returns:
        ``{"accuracy", "accuracy_ci95", "n"}`` (``n``: samples of all tasks together).
    """
    correct = [
        np.array([str(p) == str(r) for p, r in zip(preds, refs)], dtype=float)
        for preds, refs in zip(predictions_by_task, references_by_task)
    ]
    if not correct or any(c.size == 0 for c in correct):
        raise ValueError("mean_accuracy needs at least one sample in every task")

    def statistic(*arrays):
        return np.mean([a.mean(axis=-1) for a in arrays], axis=0)

    return {
        "accuracy": float(np.mean([c.mean() for c in correct])),
        "accuracy_ci95": bootstrap_interval(statistic, correct, n_resamples, seed, paired=False),
        "n": int(sum(c.size for c in correct)),
    }


def paired_difference(
    task: str, predictions_a, predictions_b, references, labels=DEFAULT_LABELS, n_resamples=N_RESAMPLES, seed=0
) -> dict:
    """The headline score (:data:`HEADLINE`) of ``predictions_a`` minus that of ``predictions_b``,
    both for the same samples (``references``), with a paired-bootstrap 95 % interval.

    Returns:
        ``{"difference": d, "difference_ci95": [low, high] | None, "n": n}``.
    """
    labels = [str(label) for label in labels]
    refs = [str(r) for r in references]
    if not (len(predictions_a) == len(predictions_b) == len(refs)) or not refs:
        raise ValueError("paired_difference needs the same, non-zero number of predictions and references")
    if task == "ied":
        t, a = _codes(predictions_a, refs, labels)
        _, b = _codes(predictions_b, refs, labels)

        def statistic(t, a, b):
            return (
                ied_statistics(t, a, len(labels))["balanced_accuracy"]
                - ied_statistics(t, b, len(labels))["balanced_accuracy"]
            )

        data = (t, a, b)
    else:
        data = (np.array([str(p) == r for p, r in zip(predictions_a, refs)], dtype=float),
                np.array([str(p) == r for p, r in zip(predictions_b, refs)], dtype=float))  # fmt: skip

        def statistic(a, b):
            return (a - b).mean(axis=-1)

    point = float(statistic(*(d[None, :] for d in data))[0])
    return {
        "difference": point,
        "difference_ci95": bootstrap_interval(statistic, data, n_resamples, seed),
        "n": len(refs),
    }


# -- scores --------------------------------------------------------------------------------------


def classification_scores(
    predictions,
    references,
    labels=DEFAULT_LABELS,
    include_confusion_matrix: bool = False,
    intervals: bool = False,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict:
    """IED scores (see the module docstring): predictions outside ``labels`` count as invalid;
    ``intervals`` adds the ``*_ci95`` keys."""
    labels = [str(label) for label in labels]
    if INVALID in labels:
        raise ValueError(f"{INVALID!r} cannot be a class label")
    y_true = [str(r) for r in references]
    unknown = sorted(set(y_true) - set(labels))
    if unknown:
        raise ValueError(f"references hold labels outside {labels}: {unknown}")
    y_pred = [p if p in labels else INVALID for p in map(str, predictions)]
    if len(y_pred) != len(y_true):
        raise ValueError(f"{len(y_pred)} predictions but {len(y_true)} references")
    n = len(y_true)
    if n == 0:
        raise ValueError("no samples to score")
    present = [label for label in labels if label in set(y_true)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true", undefined kappa
        balanced = float(balanced_accuracy_score(y_true, y_pred))
        recalls = recall_score(y_true, y_pred, labels=present, average=None, zero_division=0)
        kappa = float(cohen_kappa_score(y_true, y_pred, labels=labels + [INVALID]))
        weighted_f1 = float(f1_score(y_true, y_pred, labels=present, average="weighted", zero_division=0))
    if not np.isfinite(kappa):  # p_e = 1: chance explains all agreement; no skill measurable
        kappa = 0.0
    result = {
        "balanced_accuracy": balanced,
        "cohen_kappa": kappa,
        "weighted_f1": weighted_f1,
        "per_class": {label: float(r) for label, r in zip(present, recalls)},
        "invalid_rate": sum(p == INVALID for p in y_pred) / n,
        "n": n,
    }
    if intervals:
        codes_true, codes_pred = _codes(y_pred, y_true, labels)
        hits = {label: sum(t == p == label for t, p in zip(y_true, y_pred)) for label in present}
        result.update(_ied_intervals(codes_true, codes_pred, labels, present, hits, n_resamples, seed))
    if include_confusion_matrix:
        counts = confusion_matrix(y_true, y_pred, labels=labels + [INVALID])[: len(labels)]
        result["confusion_matrix"] = {
            "labels": list(labels),
            "predicted": list(labels) + [INVALID],
            "counts": counts.astype(int).tolist(),
        }
    return result


def accuracy_scores(predictions, references, intervals: bool = False) -> dict:
    """Exact-match accuracy and invalid-answer rate; ``intervals`` adds their Wilson intervals."""
    y_pred, y_true = [str(p) for p in predictions], [str(r) for r in references]
    if len(y_pred) != len(y_true):
        raise ValueError(f"{len(y_pred)} predictions but {len(y_true)} references")
    if not y_true:
        raise ValueError("no samples to score")
    n = len(y_true)
    right, invalid = sum(p == r for p, r in zip(y_pred, y_true)), sum(p == INVALID for p in y_pred)
    result = {"accuracy": right / n, "invalid_rate": invalid / n, "n": n}
    if intervals:
        result["accuracy_ci95"] = wilson_interval(right, n)
        result["invalid_rate_ci95"] = wilson_interval(invalid, n)
    return result


def random_baseline(task: str, references=None, labels=DEFAULT_LABELS) -> dict:
    """Expected scores of uniform random guessing for ``task``.

    IED: per-class accuracy and balanced accuracy 1/K (K = ``len(labels)``), kappa 0 (chance
    agreement exactly), invalid rate 0, and the weighted F1 of a uniform guesser on the class
    distribution of ``references`` (balanced classes when omitted): class c of prevalence p_c gets
    precision p_c and recall 1/K, so F1_c = 2 p_c / (K p_c + 1) and the weighted F1 is
    sum_c p_c F1_c, which is 1/K for balanced classes (the paper's 14.29 %). Other tasks:
    ``{"accuracy": CHANCE[task]}``.
    """
    if task not in CHANCE:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(CHANCE)}")
    if task != "ied":
        return {"accuracy": CHANCE[task]}
    labels = [str(label) for label in labels]
    k = len(labels)
    if references is None or len(references) == 0:
        priors = np.full(k, 1 / k)
    else:
        refs = [str(r) for r in references]
        priors = np.array([refs.count(label) for label in labels], dtype=float) / len(refs)
    weighted_f1 = float(np.sum(priors * 2 * priors / (k * priors + 1)))
    return {
        "balanced_accuracy": 1 / k,
        "cohen_kappa": 0.0,
        "weighted_f1": weighted_f1,
        "per_class": {label: 1 / k for label in labels},
        "invalid_rate": 0.0,
    }


class E2LLMMetrics(evaluate.Metric):
    """Scores of the five E2LLM tasks; ``config_name`` (or ``task=``) picks the task."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(
        self,
        predictions,
        references,
        task=None,
        labels=None,
        confusion_matrix=False,
        intervals=False,
        n_resamples=N_RESAMPLES,
        seed=0,
    ):
        task = (task or self.config_name or "default").lower()
        if task in CLASSIFICATION_TASKS:
            return classification_scores(
                predictions,
                references,
                labels=DEFAULT_LABELS if labels is None else labels,
                include_confusion_matrix=confusion_matrix,
                intervals=intervals,
                n_resamples=n_resamples,
                seed=seed,
            )
        if task in ACCURACY_TASKS:
            return accuracy_scores(predictions, references, intervals=intervals)
        raise ValueError(f"unknown task {task!r}; expected one of {CLASSIFICATION_TASKS + ACCURACY_TASKS}")
