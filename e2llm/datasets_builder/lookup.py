"""Opening a segments dataset and looking segments up by id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from datasets import Array2D, ClassLabel, DatasetDict, load_from_disk

from ..configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from ..errors import InvalidInputError, MissingInputError

SUMMARY_FILE = "summary.json"
DATASET_FORMAT = "e2llm-segments"


def segment_features(n_channels: int = len(EEGPT_CHANNELS), n_samples: int = 1024):
    """The ``datasets.Features`` of a segments split: the schema every segments dataset has."""
    from datasets import Features, Sequence, Value

    return Features(
        {
            "id": Value("string"),
            "eeg": Array2D(shape=(n_channels, n_samples), dtype="float32"),
            "channel_mask": Sequence(Value("bool"), length=n_channels),
            "emotion": ClassLabel(names=list(EMOTIONS)),
            "subject": Value("string"),
            "session": Value("int32"),
            "clip": Value("int32"),
            "segment": Value("int32"),
            "source": Value("string"),
        }
    )


COLUMNS: tuple[str, ...] = tuple(segment_features())


def load_segments(path) -> DatasetDict:
    """Open a segments dataset written by ``e2llm prepare`` (:func:`build_segments`).

    Returns:
        A ``DatasetDict`` with splits ``train`` and ``test`` (memory-mapped, nothing loaded).

    Raises:
        FileNotFoundError: no such folder.
        ValueError: the folder is not a segments dataset (the message says what is missing).
    """
    p = Path(path)
    if not p.exists():
        raise MissingInputError(f"{p}: no such folder (make a segments dataset with `e2llm prepare`)")
    if not (p / "dataset_dict.json").is_file():
        raise InvalidInputError(f"{p}: not a segments dataset (no dataset_dict.json; make one with `e2llm prepare`)")
    try:
        dsd = load_from_disk(str(p))
    except Exception as err:
        raise InvalidInputError(f"{p}: cannot open as a datasets folder: {err}") from err
    if not isinstance(dsd, DatasetDict) or not {"train", "test"} <= set(dsd):
        raise InvalidInputError(f"{p}: not a segments dataset (needs splits 'train' and 'test', has {sorted(dsd)})")
    for name, ds in dsd.items():
        missing = [c for c in COLUMNS if c not in ds.column_names]
        if missing:
            raise InvalidInputError(
                f"{p}: split {name!r} is not a segments split (missing column(s) {', '.join(missing)})"
            )
        eeg = ds.features["eeg"]
        if not isinstance(eeg, Array2D) or tuple(eeg.shape)[0] != len(EEGPT_CHANNELS):
            raise InvalidInputError(f"{p}: split {name!r} has eeg feature {eeg}, expected Array2D(58, samples)")
        if not isinstance(ds.features["emotion"], ClassLabel) or list(ds.features["emotion"].names) != list(EMOTIONS):
            raise InvalidInputError(f"{p}: split {name!r}: emotion is not the 7-emotion ClassLabel")
    return dsd


def read_summary(path) -> dict | None:
    """The ``summary.json`` of a segments dataset folder, or None if absent or unreadable."""
    f = Path(path) / SUMMARY_FILE
    try:
        return json.loads(f.read_text())
    except (OSError, ValueError):
        return None


class SegmentLookup:
    """Fast access to segments by id, without loading the arrays into memory.

    Builds an ``id → (split, row)`` index from the id columns only; arrays are read row by row
    from the memory-mapped Arrow files through the datasets' numpy format.

    >>> lookup = SegmentLookup(load_segments("segments"))
    >>> eeg, mask = lookup["sub03-s2-c27-g01"]   # (58, 1024) float32 mV, (58,) bool
    >>> lookup.emotion("sub03-s2-c27-g01")
    'surprise'
    """

    def __init__(self, dataset_dict):
        self._arrays = {}
        self._emotions: dict[str, np.ndarray] = {}
        self._index: dict[str, tuple[str, int]] = {}
        for split, ds in dataset_dict.items():
            table = ds.with_format("arrow", columns=["id", "emotion"])[:]
            ids = table.column("id").to_pylist()
            self._emotions[split] = np.asarray(table.column("emotion").to_numpy(zero_copy_only=False), dtype=np.int64)
            for row, sid in enumerate(ids):
                if sid in self._index:
                    raise InvalidInputError(
                        f"segment id {sid!r} appears twice (in {self._index[sid][0]!r} and {split!r})"
                    )
                self._index[sid] = (split, row)
            self._arrays[split] = ds.with_format("numpy", columns=["eeg", "channel_mask"])

    def __getitem__(self, segment_id: str) -> tuple[np.ndarray, np.ndarray]:
        """``(eeg, channel_mask)``: (58, 1024) float32 mV and (58,) bool."""
        split, row = self._locate(segment_id)
        item = self._arrays[split][row]
        return np.asarray(item["eeg"], dtype=np.float32), np.asarray(item["channel_mask"], dtype=bool)

    def emotion(self, segment_id: str) -> str:
        """The segment's emotion name (one of ``EMOTIONS``)."""
        split, row = self._locate(segment_id)
        return EMOTIONS[int(self._emotions[split][row])]

    def split_of(self, segment_id: str) -> str:
        return self._locate(segment_id)[0]

    def ids(self, split: str | None = None) -> list[str]:
        """All segment ids (of one split, in row order)."""
        if split is None:
            return list(self._index)
        return [sid for sid, (s, _) in self._index.items() if s == split]

    def _locate(self, segment_id: str) -> tuple[str, int]:
        try:
            return self._index[segment_id]
        except KeyError:
            raise KeyError(f"no segment with id {segment_id!r}") from None

    def __contains__(self, segment_id) -> bool:
        return segment_id in self._index

    def __len__(self) -> int:
        return len(self._index)


__all__ = ["COLUMNS", "SegmentLookup", "load_segments", "read_summary", "segment_features"]
