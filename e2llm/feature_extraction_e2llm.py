"""EEG arrays → the model's ``eeg_values``.

The feature extractor does not filter or resample: that is the signal pipeline's job
(``e2llm.eeg``, MNE-based), which produces 4 s windows at 256 Hz in mV. Here arrays are checked
(finite values, rate, length, known channels) and their channels put in the encoder's order.

Part of the model a Hub repository carries: imports only numpy, torch, transformers and siblings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from transformers import BatchFeature
from transformers.feature_extraction_utils import FeatureExtractionMixin

from .configuration_e2llm import EEGPT_CHANNELS


class EEGInputError(ValueError):
    """An EEG array, its channel names or its sampling rate cannot be used as model input."""


_NON_ALNUM = re.compile(r"[^0-9A-Z]")


def normalize_channel_name(name: str) -> str:
    """Canonical form of an electrode name, for matching across file formats.

    Upper-case; a leading ``EEG`` label and a reference suffix after ``-`` are dropped; every
    character that is not a letter or a digit is removed. So ``'Fc5.'``, ``'FC5'`` and ``'fc5'``
    are all ``'FC5'``, ``'Cz..'`` is ``'CZ'`` and ``'EEG FP1-REF'`` is ``'FP1'``.
    """
    text = str(name).strip().upper()
    if text.startswith("EEG") and len(text) > 3 and not text[3].isalnum():
        text = text[4:]
    text = text.split("-")[0] if "-" in text.strip("-") else text
    return _NON_ALNUM.sub("", text)


def channel_order(
    channel_names: Sequence[str], target: Sequence[str], *, allow_missing: bool = False, source: str = "input"
) -> tuple[np.ndarray, np.ndarray]:
    """Index of each ``target`` channel in ``channel_names``.

    Returns:
        ``(index, present)``: ``index`` (len(target),) int array, -1 where a channel is missing;
        ``present`` (len(target),) bool array.

    Raises:
        EEGInputError: duplicated names (after normalisation), or missing channels when
            ``allow_missing`` is False.
    """
    normalized = [normalize_channel_name(name) for name in channel_names]
    position: dict[str, int] = {}
    for i, key in enumerate(normalized):
        if key in position:
            raise EEGInputError(f"{source}: channel {channel_names[i]!r} appears twice (as {key})")
        position[key] = i
    index = np.array([position.get(normalize_channel_name(name), -1) for name in target], dtype=np.int64)
    present = index >= 0
    if not allow_missing and not present.all():
        missing = [name for name, ok in zip(target, present) if not ok]
        raise EEGInputError(
            f"{source}: {len(missing)} of the model's {len(target)} channels are missing: {', '.join(missing)}"
        )
    return index, present


class E2LLMFeatureExtractor(FeatureExtractionMixin):
    r"""Turns EEG windows into ``eeg_values`` (segments, channels, samples) float32 in mV.

    Args:
        channel_names: the encoder's channels, in order (EEGPT's 58 by default).
        sampling_rate: the rate the encoder expects, Hz.
        num_samples: samples per window (4 s at 256 Hz = 1024).
        fill_missing: if True, channels absent from an input are zero-filled and reported in
            ``eeg_channel_mask`` (the encoder ignores them); if False they are an error.

    Call with one array of shape (channels, samples), a list of them, or an array of shape
    (segments, channels, samples). ``channel_names`` names the input's rows (any order, names
    matched case- and punctuation-insensitively); omitted, the rows must already be the encoder's
    channels in order. Returns a ``BatchFeature`` with ``eeg_values`` (S, C, T) and
    ``eeg_channel_mask`` (S, C) bool.
    """

    model_input_names = ["eeg_values", "eeg_channel_mask"]

    def __init__(
        self,
        channel_names: Sequence[str] = EEGPT_CHANNELS,
        sampling_rate: int = 256,
        num_samples: int = 1024,
        fill_missing: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.channel_names = [str(name).upper() for name in channel_names]
        self.sampling_rate = int(sampling_rate)
        self.num_samples = int(num_samples)
        self.fill_missing = bool(fill_missing)

    def __call__(
        self,
        eeg,
        channel_names: Sequence[str] | None = None,
        sampling_rate: float | None = None,
        channel_mask=None,
        fill_missing: bool | None = None,
        return_tensors: str | None = "pt",
        source: str = "input",
    ) -> BatchFeature:
        if sampling_rate is not None and abs(float(sampling_rate) - self.sampling_rate) > 1e-6:
            raise EEGInputError(
                f"{source}: sampling rate is {sampling_rate:g} Hz but the model expects {self.sampling_rate} Hz; "
                "resample it first (e2llm.eeg preprocesses recordings)"
            )
        segments = self._as_segments(eeg, source)
        fill = self.fill_missing if fill_missing is None else fill_missing
        n_in = segments[0].shape[0]
        if channel_names is None:
            if n_in != len(self.channel_names):
                raise EEGInputError(
                    f"{source}: {n_in} channels without channel_names; pass channel_names, or give the model's "
                    f"{len(self.channel_names)} channels in its order"
                )
            index, present = np.arange(n_in), np.ones(n_in, dtype=bool)
        else:
            if len(channel_names) != n_in:
                raise EEGInputError(f"{source}: {len(channel_names)} channel names for {n_in} channels")
            index, present = channel_order(channel_names, self.channel_names, allow_missing=fill, source=source)

        values = np.zeros((len(segments), len(self.channel_names), self.num_samples), dtype=np.float32)
        values[:, present] = np.stack(segments)[:, index[present]]
        mask = np.broadcast_to(present, (len(segments), len(present))).copy()
        if channel_mask is not None:
            given = np.asarray(channel_mask, dtype=bool).reshape(-1, len(self.channel_names))
            mask &= given
            values[~mask] = 0.0
        return BatchFeature({"eeg_values": values, "eeg_channel_mask": mask}, tensor_type=return_tensors)

    def _as_segments(self, eeg, source: str) -> list[np.ndarray]:
        if isinstance(eeg, np.ndarray) or hasattr(eeg, "numpy"):
            array = np.asarray(eeg.detach().cpu() if hasattr(eeg, "detach") else eeg, dtype=np.float32)
            segments = [array] if array.ndim == 2 else list(array)
        else:
            segments = [np.asarray(item, dtype=np.float32) for item in eeg]
        if not segments:
            raise EEGInputError(f"{source}: no EEG segments given")
        for i, seg in enumerate(segments):
            if seg.ndim != 2:
                raise EEGInputError(f"{source}: segment {i} has shape {seg.shape}; expected (channels, samples)")
            if seg.shape[1] != self.num_samples:
                raise EEGInputError(
                    f"{source}: segment {i} has {seg.shape[1]} samples; the model expects {self.num_samples} "
                    f"({self.num_samples / self.sampling_rate:g} s at {self.sampling_rate} Hz)"
                )
            if seg.shape[0] != segments[0].shape[0]:
                raise EEGInputError(f"{source}: segments have different channel counts")
            if not np.isfinite(seg).all():
                raise EEGInputError(f"{source}: segment {i} contains NaN or infinite values")
        return segments


E2LLMFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")

__all__ = ["E2LLMFeatureExtractor", "EEGInputError", "channel_order", "normalize_channel_name"]
