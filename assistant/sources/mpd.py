"""Million Playlist Dataset slices and RecSys 2018 challenge sets: one import for callers.

The work is split by concern, and this module re-exports the public names:

- :mod:`assistant.sources.mpd_slices`: finding slice files, reading and validating one
  (:func:`read_slice`, :func:`parse_slice`, :class:`MpdSlice`).
- :mod:`assistant.sources.mpd_reader`: reading many files for an import, the next ones
  in a helper process (:class:`SliceReader`).
- :mod:`assistant.sources.mpd_challenge`: RecSys 2018 challenge sets
  (:func:`read_challenge_set`).
"""

from __future__ import annotations

from assistant.sources.mpd_challenge import ChallengePlaylist, read_challenge_set
from assistant.sources.mpd_reader import SliceRead, SliceReader, read_for_import, serve_helper
from assistant.sources.mpd_slices import (
    MAX_FILE_BYTES,
    SLICE_GLOB,
    TRACK_FIELDS,
    MpdSlice,
    gc_paused,
    iter_slice_paths,
    load_json,
    parse_slice,
    read_bytes,
    read_slice,
    sha256_of,
)

__all__ = [
    "MAX_FILE_BYTES",
    "SLICE_GLOB",
    "TRACK_FIELDS",
    "ChallengePlaylist",
    "MpdSlice",
    "SliceRead",
    "SliceReader",
    "gc_paused",
    "iter_slice_paths",
    "load_json",
    "parse_slice",
    "read_bytes",
    "read_challenge_set",
    "read_for_import",
    "read_slice",
    "serve_helper",
    "sha256_of",
]
