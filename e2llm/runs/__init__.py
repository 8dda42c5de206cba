"""Run bookkeeping, in one home: what makes E2LLM's long work safe to interrupt and rerun.

* :mod:`.atomic` — files and folders written under a temporary name and moved in whole;
* :mod:`.artifacts` — :class:`~.artifacts.Artifact`, a folder that is complete (its marker
  written last) or absent, with the integrity checks of weights and ``Trainer`` checkpoints;
* :mod:`.fingerprints` — content hashes that say whether earlier work can be reused;
* :mod:`.records` — :class:`~.records.RecordLog`, results appended one line each and resumed by
  key (evaluation's generations, ``describe``'s windows).
"""

from .artifacts import MARKER, Artifact, checkpoint_problem, newest_complete_checkpoint, weights_problem
from .atomic import atomic_directory, atomic_file, write_text_atomic
from .fingerprints import FileHashes, folder_listing, processor_fingerprint, sha256_json, weights_fingerprint
from .records import RecordLog, read_records

__all__ = [
    "MARKER",
    "Artifact",
    "FileHashes",
    "RecordLog",
    "atomic_directory",
    "atomic_file",
    "checkpoint_problem",
    "folder_listing",
    "newest_complete_checkpoint",
    "processor_fingerprint",
    "read_records",
    "sha256_json",
    "weights_fingerprint",
    "weights_problem",
    "write_text_atomic",
]
