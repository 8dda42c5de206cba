"""Electrode names: SEED-VII's montage and matching a recording's channels to EEGPT's 58.

Names are compared after :func:`e2llm.feature_extraction_e2llm.normalize_channel_name` (upper-case,
punctuation and reference suffixes removed), so ``'Fc5.'``, ``'FC5'`` and ``'fc5'`` are one
channel. Old 10-20 names (T3, T4, T5, T6) stand in for their 10-10 successors (T7, T8, P7, P8)
when the successor itself is absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..configuration_e2llm import EEGPT_CHANNELS
from ..feature_extraction_e2llm import channel_order, normalize_channel_name

# SEED-VII's 62 EEG channels in the order of its ``Channel Order.xlsx`` (the row order of the
# 62 x T arrays in ``EEG_preprocessed/<subject>.mat``): the ESI NeuroScan 62-channel cap, 10-10
# names, with the two cerebellar electrodes CB1/CB2 next to the occipital row. The raw CNT files
# hold these plus non-EEG channels (references, EOG, ECG), which are never used.
SEED_VII_CHANNELS: tuple[str, ...] = (
    "FP1", "FPZ", "FP2", "AF3", "AF4",
    "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8",
    "T7", "C5", "C3", "C1", "CZ", "C2", "C4", "C6", "T8",
    "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8",
    "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8",
    "PO7", "PO5", "PO3", "POZ", "PO4", "PO6", "PO8",
    "CB1", "O1", "OZ", "O2", "CB2",
)  # fmt: skip

# Old 10-20 name -> 10-10 name (Jasper's T3/T4/T5/T6 became T7/T8/P7/P8).
CHANNEL_ALIASES: dict[str, str] = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}


@dataclass(frozen=True)
class ChannelMatch:
    """Where each target channel comes from in a recording.

    Attributes:
        target: the target channel names, in order (EEGPT's 58 by default).
        index: (n_target,) int array: row of each target channel in the recording's channel list,
            -1 where the recording lacks it.
        source_names: (n_target,) the recording's name for each target channel ('' if missing).
    """

    target: tuple[str, ...]
    index: np.ndarray
    source_names: tuple[str, ...]

    @property
    def present(self) -> np.ndarray:
        """(n_target,) bool: True where the channel is in the recording (the channel mask)."""
        return self.index >= 0

    @property
    def missing(self) -> list[str]:
        """Target channels the recording lacks (zero-filled or an error, per configuration)."""
        return [name for name, i in zip(self.target, self.index) if i < 0]

    @property
    def picks(self) -> np.ndarray:
        """Rows of the recording to read, in target order (present channels only)."""
        return self.index[self.index >= 0]


def match_channels(
    ch_names: Sequence[str], target: Sequence[str] = EEGPT_CHANNELS, *, source: str = "recording"
) -> ChannelMatch:
    """Match a recording's channel names to ``target`` (EEGPT's 58 channels by default).

    Args:
        ch_names: the recording's channel names (any case or punctuation, e.g. ``'Fc5.'``).
        target: the wanted channels, in the wanted order.
        source: names the recording in error messages.

    Returns:
        A :class:`ChannelMatch`; missing channels have index -1.

    Raises:
        ValueError: two of the recording's channels that match the same target channel.
    """
    target = tuple(target)
    wanted = {normalize_channel_name(name) for name in target}
    keys = [normalize_channel_name(name) for name in ch_names]
    present_keys = set(keys)
    rows, names = [], []
    for row, key in enumerate(keys):
        if key not in wanted and key in CHANNEL_ALIASES and CHANNEL_ALIASES[key] not in present_keys:
            key = CHANNEL_ALIASES[key]
        if key in wanted:
            rows.append(row)
            names.append(key)
    index_in_subset, _ = channel_order(names, target, allow_missing=True, source=source)
    rows_arr = np.asarray(rows, dtype=np.int64)
    index = np.where(index_in_subset >= 0, rows_arr[np.maximum(index_in_subset, 0)] if rows else -1, -1)
    source_names = tuple(str(ch_names[i]) if i >= 0 else "" for i in index)
    return ChannelMatch(target=target, index=index.astype(np.int64), source_names=source_names)


__all__ = ["CHANNEL_ALIASES", "SEED_VII_CHANNELS", "ChannelMatch", "match_channels", "normalize_channel_name"]
