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

:func:`random_baseline` gives the expected scores of uniform random guessing (:data:`CHANCE`).
This file imports nothing of the ``e2llm`` package, so ``evaluate`` can copy it alone.
"""

from __future__ import annotations

import warnings

import datasets
import evaluate
import numpy as np
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, confusion_matrix, f1_score, recall_score

INVALID = "invalid"

# The seven SEED-VII emotions in the paper's order (Table 2); the same as ``e2llm.EMOTIONS``.
DEFAULT_LABELS: tuple[str, ...] = ("happy", "surprise", "neutral", "disgust", "fear", "sad", "anger")

CLASSIFICATION_TASKS: tuple[str, ...] = ("ied",)
ACCURACY_TASKS: tuple[str, ...] = ("epc", "ess", "eim", "esr", "default")

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
Returns:
    ied: balanced_accuracy, cohen_kappa, weighted_f1, per_class, invalid_rate, n;
    other tasks: accuracy, invalid_rate, n.
Examples:
    >>> m = evaluate.load("path/to/e2llm_metrics.py", config_name="epc")
    >>> m.compute(predictions=["yes", "invalid"], references=["yes", "no"])
    {'accuracy': 0.5, 'invalid_rate': 0.5, 'n': 2}
"""


def classification_scores(
    predictions, references, labels=DEFAULT_LABELS, include_confusion_matrix: bool = False
) -> dict:
    """IED scores (see the module docstring): predictions outside ``labels`` count as invalid."""
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
    if include_confusion_matrix:
        counts = confusion_matrix(y_true, y_pred, labels=labels + [INVALID])[: len(labels)]
        result["confusion_matrix"] = {
            "labels": list(labels),
            "predicted": list(labels) + [INVALID],
            "counts": counts.astype(int).tolist(),
        }
    return result


def accuracy_scores(predictions, references) -> dict:
    """Exact-match accuracy and invalid-answer rate."""
    y_pred, y_true = [str(p) for p in predictions], [str(r) for r in references]
    if len(y_pred) != len(y_true):
        raise ValueError(f"{len(y_pred)} predictions but {len(y_true)} references")
    if not y_true:
        raise ValueError("no samples to score")
    n = len(y_true)
    return {
        "accuracy": sum(p == r for p, r in zip(y_pred, y_true)) / n,
        "invalid_rate": sum(p == INVALID for p in y_pred) / n,
        "n": n,
    }


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

    def _compute(self, predictions, references, task=None, labels=None, confusion_matrix=False):
        task = (task or self.config_name or "default").lower()
        if task in CLASSIFICATION_TASKS:
            return classification_scores(
                predictions,
                references,
                labels=DEFAULT_LABELS if labels is None else labels,
                include_confusion_matrix=confusion_matrix,
            )
        if task in ACCURACY_TASKS:
            return accuracy_scores(predictions, references)
        raise ValueError(f"unknown task {task!r}; expected one of {CLASSIFICATION_TASKS + ACCURACY_TASKS}")
