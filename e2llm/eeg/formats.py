"""The recording file types E2LLM reads, by suffix: what MNE reader opens each, and what an error
message calls it."""

from __future__ import annotations

from pathlib import Path

import mne

# suffix → (what a message calls it, the MNE reader)
FORMATS: dict[str, tuple[str, object]] = {
    ".edf": ("EDF", mne.io.read_raw_edf),
    ".bdf": ("BDF", mne.io.read_raw_bdf),
    ".gdf": ("GDF", mne.io.read_raw_gdf),
    ".vhdr": ("BrainVision", mne.io.read_raw_brainvision),
    ".set": ("EEGLAB", mne.io.read_raw_eeglab),
    ".fif": ("FIF", mne.io.read_raw_fif),
    ".cnt": ("Neuroscan CNT", mne.io.read_raw_cnt),
}
# what a folder of recordings is searched for (".fif.gz": a compressed FIF)
RECORDING_SUFFIXES: tuple[str, ...] = (".edf", ".bdf", ".gdf", ".vhdr", ".set", ".fif", ".fif.gz", ".cnt")
CNT_FORMATS = ("int16", "int32")  # bytes per sample of a Neuroscan CNT file: MNE's data_format


def format_suffix(path) -> str:
    """The key of :data:`FORMATS` for ``path``: its suffix, lower-case, with MNE's FIF names
    (``.fif.gz``, ``_raw.fif``, ``_eeg.fif``) as ``.fif``."""
    name = Path(str(path)).name.lower()
    return ".fif" if name.endswith((".fif.gz", "_raw.fif", "_eeg.fif")) else Path(name).suffix


def recording_kind(path) -> str:
    """What an error message calls the recording at ``path`` (``EDF``, ``EEGLAB``…; ``EEG``)."""
    return FORMATS.get(format_suffix(path), ("EEG",))[0]


__all__ = ["CNT_FORMATS", "FORMATS", "RECORDING_SUFFIXES", "format_suffix", "recording_kind"]
