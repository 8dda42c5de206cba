"""What ``e2llm prepare`` builds and how: every setting of a segments build, checked once when made."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..configuration_e2llm import EMOTIONS
from ..eeg.preprocessing import PreprocessingConfig
from ..emotions import emotion_of_label
from ..errors import InvalidInputError, MissingInputError
from .pseudonyms import default_key_path
from .sources import FORMATS
from .splits import PAPER_TEST_FRACTION, SPLITS


@dataclass
class BuildConfig:
    """The settings of a segments build (:func:`~e2llm.datasets_builder.build_segments`).

    Attributes:
        format: ``"seed-vii"``, ``"seed-vii-preprocessed"``, ``"files"`` or ``"auto"``.
        split: ``"paper"``, ``"clip"`` or ``"subject"`` (:mod:`.splits`).
        test_size: fraction held out (default: the paper's 2,761 / 27,205), in (0, 1).
        test_subjects: for ``split="subject"`` only, subjects to hold out (default: drawn with
            ``seed``).
        seed: seed of the split and of the random crops (a whole number ≥ 0).
        cnt_format: ``'int16'``/``'int32'`` for Neuroscan CNT files (SEED-VII default ``'int32'``).
        labels: for ``format="files"``, a CSV of ``file, onset, duration, label``.
        label_map: maps a file's own labels (e.g. annotation codes) to emotion names.
        skip_bad: skip recordings that cannot be used (listed with the reason in the summary)
            instead of stopping; system errors (I/O, no space, no permission) always stop.
        n_jobs: recordings processed in parallel (processes).
        pseudonymize: replace the ``subject``, ``source`` and ``id`` columns' names by stable keyed
            pseudonyms (:mod:`.pseudonyms`).
        pseudonym_key: the key file (default ``<out parent>/<out name>.pseudonym-key.json``);
            never inside the output folder.
        preprocessing: the recipe (the paper's by default).
        names: how the caller calls each setting in an error (the CLI: ``{"seed": "--seed", …}``).

    Raises:
        InvalidInputError / MissingInputError: a setting out of range, inconsistent with
            another, or a labels file that does not exist — one line naming the setting.
    """

    format: str = "auto"
    split: str = "paper"
    test_size: float | None = None
    test_subjects: Sequence[str] | None = None
    seed: int = 0
    cnt_format: str | None = None
    labels: str | os.PathLike | None = None
    label_map: Mapping[str, str] | None = None
    skip_bad: bool = False
    n_jobs: int = 1
    pseudonymize: bool = False
    pseudonym_key: str | os.PathLike | None = None
    preprocessing: PreprocessingConfig = field(default_factory=PreprocessingConfig)
    names: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def name(self, setting: str) -> str:
        """How the caller calls ``setting`` (its CLI flag, or its own name)."""
        return self.names.get(setting, setting)

    def _given(self, setting: str, value) -> str:  # --split paper / split='paper'
        return f"{self.name(setting)} {value}" if self.names else f"{self.name(setting)}={value!r}"

    def __post_init__(self):
        self._check_choices()
        self._check_numbers()
        self._check_test_subjects()
        self._check_labels()
        if self.pseudonym_key is not None:
            if not self.pseudonymize:
                raise InvalidInputError(f"{self.name('pseudonym_key')} applies with {self.name('pseudonymize')} only")
            if Path(self.pseudonym_key).is_dir():
                raise InvalidInputError(
                    f"{self.name('pseudonym_key')}: {self.pseudonym_key} is a folder; give the path of a key file"
                )

    def _check_choices(self) -> None:
        if self.format != "auto" and self.format not in FORMATS:
            raise InvalidInputError(
                f"{self.name('format')}: unknown input format {self.format!r}; choose one of auto, {', '.join(FORMATS)}"
            )
        if self.split not in SPLITS:
            raise InvalidInputError(
                f"{self.name('split')}: unknown split {self.split!r}; choose one of {', '.join(SPLITS)}"
            )

    def _check_numbers(self) -> None:
        def whole(value) -> bool:
            return not isinstance(value, bool) and isinstance(value, (int, np.integer))

        if not whole(self.seed) or self.seed < 0:
            raise InvalidInputError(f"{self.name('seed')} must be a whole number ≥ 0 (got {self.seed!r})")
        if not whole(self.n_jobs) or self.n_jobs < 1:
            raise InvalidInputError(f"{self.name('n_jobs')} must be at least 1 (got {self.n_jobs!r})")
        if self.test_size is not None:
            try:
                fraction = float(self.test_size)
            except (TypeError, ValueError):
                fraction = float("nan")
            if isinstance(self.test_size, bool) or not 0.0 < fraction < 1.0:
                raise InvalidInputError(
                    f"{self.name('test_size')} must be a fraction strictly between 0 and 1 (got {self.test_size!r})"
                )

    def _check_test_subjects(self) -> None:
        if self.test_subjects is None:
            return
        subjects = [str(t).strip() for t in self.test_subjects]
        if self.split != "subject":
            raise InvalidInputError(
                f"{self.name('test_subjects')} applies to {self._given('split', 'subject')} only "
                f"(got {self._given('split', self.split)})"
            )
        if not subjects or any(not t for t in subjects):
            raise InvalidInputError(
                f"{self.name('test_subjects')} needs one or more subject names (got {list(self.test_subjects)!r})"
            )

    def _check_labels(self) -> None:
        if self.label_map is not None:
            if not isinstance(self.label_map, Mapping):
                raise InvalidInputError(
                    f"{self.name('label_map')} must map labels to emotion names (got {self.label_map!r})"
                )
            for code, emotion in self.label_map.items():
                if not str(code).strip():
                    raise InvalidInputError(f"{self.name('label_map')}: empty label in {code}={emotion}")
                if emotion_of_label(emotion) is None:
                    raise InvalidInputError(
                        f"{self.name('label_map')}: {code}={emotion}: {emotion!r} is not an emotion "
                        f"(one of {', '.join(EMOTIONS)})"
                    )
        if self.labels is not None:
            path = Path(self.labels)
            if not path.exists():
                raise MissingInputError(f"{self.name('labels')}: {path}: labels file not found")
            if not path.is_file():
                raise InvalidInputError(
                    f"{self.name('labels')}: {path} is a folder, not a labels file (CSV of file, onset, duration, label)"
                )

    def key_path(self, out: str | os.PathLike) -> Path | None:
        """The pseudonym key file of a build into ``out`` (``None`` without pseudonyms), checked to
        be outside ``out`` so that it never travels with the dataset."""
        if not self.pseudonymize:
            return None
        if self.pseudonym_key is None:
            return default_key_path(Path(out))
        key = Path(self.pseudonym_key).expanduser().absolute()
        if key.resolve().is_relative_to(Path(out).resolve()):
            raise InvalidInputError(
                f"{self.name('pseudonym_key')}: {self.pseudonym_key} is inside the dataset folder {out}; keep the key "
                "outside it, so that it is never uploaded with the dataset"
            )
        return key

    def settings(self, fmt: str) -> dict:
        """What ``summary.json`` records of this build (input format resolved to ``fmt``)."""
        return {
            "format": fmt,
            "split": self.split,
            "test_size": PAPER_TEST_FRACTION if self.test_size is None else float(self.test_size),
            "test_subjects": sorted(str(s).strip() for s in self.test_subjects) if self.test_subjects else None,
            "seed": int(self.seed),
            "cnt_format": self.cnt_format,
            "labels": Path(self.labels).name if self.labels is not None else None,
            "label_map": dict(sorted((self.label_map or {}).items())),
            "skip_bad": bool(self.skip_bad),
            "pseudonymize": bool(self.pseudonymize),
            "preprocessing": self.preprocessing.to_dict(),
        }


__all__ = ["BuildConfig"]
