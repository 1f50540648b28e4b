"""Import and export jobs, shared by the CLI and the GUI's import dialog (Qt-free).

``import_mpd`` walks slice files one at a time: read the bytes, hash them (a file whose
hash was imported before is skipped without parsing), validate, then write the file in
one transaction. Files after the first are read and validated in a helper process while
the previous one is written (:class:`~assistant.sources.mpd.SliceReader`). A broken file
is recorded in the summary and the next file goes on; a cancel (between files, or inside
one while it is being written) raises :class:`~assistant.errors.Cancelled` after rolling
back the file in progress, so the library holds exactly the files that finished.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import DEMO_DIR
from assistant.domain import DEMO_SOURCE, Playlist, Track
from assistant.errors import AssistantError, InputError
from assistant.progress import CancelToken, ProgressCallback, Reporter
from assistant.sources import files as playlist_files
from assistant.sources.mpd import SliceReader, gc_paused, iter_slice_paths, read_slice
from assistant.store.library import ImportResult, Library

EXPORT_FORMATS = ("csv", "m3u")
# SQLite page cache while importing: big enough for the hot index pages of a large
# library, small next to the ~150 MB a slice takes while it is parsed.
IMPORT_CACHE_MIB = 64
# WAL size at which an import checkpoints (see Library.bulk_writes): a few files' worth.
IMPORT_CHECKPOINT_MIB = 64


@dataclass(slots=True)
class ImportSummary:
    """What an MPD import did, file by file.

    Attributes:
        results: one per file that was imported or skipped (already imported before).
        errors: one per file that could not be imported (nothing of it was written).
    """

    results: list[ImportResult] = field(default_factory=list)
    errors: list[AssistantError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def playlists(self) -> int:
        return sum(r.playlists for r in self.results)

    @property
    def entries(self) -> int:
        return sum(r.entries for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Watched(list):
    """The playlists of one file, as handed to ``Library.import_playlists``.

    Iterating (which the library does inside its transaction) reports progress and polls
    the cancel token, so a cancel mid-file raises inside the transaction and rolls it back.
    """

    def __init__(
        self,
        playlists: list[Playlist],
        reporter: Reporter,
        cancel: CancelToken | None,
        base: int,
        message: str,
    ) -> None:
        super().__init__(playlists)
        self.reporter = reporter
        self.cancel = cancel
        self.base = base
        self.message = message

    def __iter__(self) -> Iterator[Playlist]:
        done = self.base
        for i, playlist in enumerate(super().__iter__()):
            if i % 50 == 0:
                if self.cancel is not None:
                    self.cancel.raise_if_cancelled()
                self.reporter.update(done, message=self.message)
            yield playlist
            done += len(playlist.track_uris)


def import_mpd(
    library: Library,
    paths: Iterable[str | Path],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    helper: bool = True,
) -> ImportSummary:
    """Imports MPD slice files and folders of them, one transaction per file.

    While file N is written, a helper process reads and validates file N+1, so the two
    cores work at once and at most two files are in memory whatever the folder holds.
    ``helper=False`` parses every file in this process.

    Progress: stage "import", unit "entries"; the total is estimated from the bytes of
    the files once the first one is parsed (exact for a single file).

    Raises:
        InputError: a path does not exist or a folder holds no slice files (nothing done).
        Cancelled: the token was cancelled; finished files stay, the current one is undone.
    """
    files = iter_slice_paths(paths)
    sizes = [_size(f) for f in files]
    total_bytes = sum(sizes) or 1
    known = frozenset(row["sha256"] for row in library.imports())
    reporter = Reporter(report, "import", unit="entries")
    summary = ImportSummary()
    done = 0
    parsed_bytes = parsed_entries = 0
    with (
        library.bulk_writes(cache_mib=IMPORT_CACHE_MIB, checkpoint_mib=IMPORT_CHECKPOINT_MIB),
        SliceReader(files, known, helper=helper) as reader,
    ):
        reads = iter(reader)
        for number, size in enumerate(sizes, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            path = files[number - 1]
            message = f"{path.name} ({number}/{len(files)} files)"
            reporter.update(done, message=message, force=True)
            # No cyclic GC while a file is received and written: its ~300k objects are
            # acyclic and freed by reference counting before the collector is back on,
            # which saves ~40 ms of scanning them per file.
            with gc_paused():
                read = next(reads)
                if read.error is not None:
                    summary.errors.append(read.error)
                    continue
                parsed = read.parsed
                del read
                if parsed is None:
                    summary.results.append(ImportResult(str(path), 0, 0, skipped=True))
                    continue
                entries = parsed.entries
                parsed_bytes += size
                parsed_entries += entries
                # Entries per byte of the files parsed so far, applied to the rest.
                rest = total_bytes - sum(sizes[:number])
                reporter.total = done + entries + int(rest * parsed_entries / max(1, parsed_bytes))
                try:
                    result = library.import_playlists(
                        kind="mpd",
                        path=str(path.resolve()),
                        sha256=parsed.sha256,
                        playlists=_Watched(parsed.playlists, reporter, cancel, done, message),
                        tracks=parsed.tracks,
                    )
                except InputError as exc:  # this file only (nothing of it was written)
                    summary.errors.append(exc)
                    continue
                finally:
                    del parsed
            summary.results.append(result)
            done += result.entries
    reporter.total = done
    reporter.finish(done, message=f"{len(files)} files")
    summary.seconds = time.perf_counter() - reporter.start
    return summary


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def import_csv(library: Library, path: str | Path) -> ImportResult:
    """Imports one CSV (Exportify columns) or M3U file as one playlist (source "file").

    The file's playlist is identified by the file's path: importing the same content
    again is a no-op, an edited (or restored) file replaces its playlist, and a copy
    under another name is another playlist.

    Raises:
        InputError: the file cannot be used (the message names the file and row).
    """
    parsed = playlist_files.read_playlist_file(path)
    kind = "m3u" if Path(path).suffix.lower() in (".m3u", ".m3u8") else "csv"
    return library.import_playlists(
        kind=kind,
        path=str(Path(path).resolve()),
        sha256=parsed.sha256,
        playlists=[parsed.playlist],
        tracks=parsed.tracks,
        keyed_by_path=True,
    )


def ensure_demo_library(
    library: Library, *, demo_dir: Path = DEMO_DIR, report: ProgressCallback | None = None
) -> bool:
    """Imports the bundled synthetic demo catalog into an *empty* library.

    Returns:
        True when it imported the demo, False when the library already had playlists.

    Raises:
        InputError: the demo files are missing or broken (a damaged installation).
    """
    if library.count_playlists() > 0:
        return False
    summary = import_demo(library, demo_dir=demo_dir, report=report)
    return summary.playlists > 0 or summary.skipped > 0


def import_demo(
    library: Library,
    *,
    demo_dir: Path = DEMO_DIR,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportSummary:
    """Imports the bundled demo catalog whatever the library holds (a no-op the second time).

    The demo's playlists go to their own source, ``demo`` ("Demo (synthetic)"), and its
    tracks are marked synthetic in the same transaction: they are invented, so they are
    never proposed for a real playlist nor exported to Spotify.
    """
    if not demo_dir.is_dir():
        raise InputError(
            f"The demo catalog is missing ({demo_dir}).",
            hint="Reinstall the app, or regenerate it with `make demo`.",
        )
    files = iter_slice_paths([demo_dir])
    reporter = Reporter(report, "import", unit="files", total=len(files))
    summary = ImportSummary()
    for number, path in enumerate(files):
        if cancel is not None:
            cancel.raise_if_cancelled()
        reporter.update(number, message=f"demo catalog ({number + 1}/{len(files)} files)")
        parsed = read_slice(path)
        for playlist in parsed.playlists:
            playlist.source = DEMO_SOURCE
        with library.atomic():
            result = library.import_playlists(
                kind=DEMO_SOURCE,
                path=str(path.resolve()),
                sha256=parsed.sha256,
                playlists=parsed.playlists,
                tracks=parsed.tracks,
            )
            if not result.skipped:
                library.mark_synthetic(row[0] for row in parsed.tracks)
        summary.results.append(result)
    reporter.finish(len(files), message=f"{len(files)} files")
    summary.seconds = time.perf_counter() - reporter.start
    return summary


def remove_demo(library: Library) -> int:
    """Removes the demo catalog (its playlists, and its tracks no other playlist uses).

    Returns the number of playlists removed. A local playlist that holds demo tracks
    keeps them (still marked synthetic).
    """
    return library.delete_source(DEMO_SOURCE)


def synthetic_tracks(library: Library, playlist_id: int) -> list[Track]:
    """The invented (demo) tracks of a playlist, in playlist order, each once."""
    playlist = library.playlist(playlist_id)
    synthetic = library.synthetic_uris(playlist.track_uris)
    known = library.tracks(synthetic)
    return [known.get(u) or Track(u) for u in dict.fromkeys(playlist.track_uris) if u in synthetic]


def synthetic_note(tracks: list[Track]) -> str:
    """One sentence for an export that holds synthetic tracks ("" when none)."""
    if not tracks:
        return ""
    names = ", ".join(f"“{t.name or t.uri}”" for t in tracks[:3])
    more = f" and {len(tracks) - 3} more" if len(tracks) > 3 else ""
    return (
        f"{len(tracks)} track(s) of this playlist are synthetic demo tracks ({names}{more}): "
        "they are invented and do not exist on Spotify or anywhere else."
    )


def export_playlist_file(
    library: Library,
    playlist_id: int,
    fmt: str,
    out_path: str | Path,
    *,
    links: bool = False,
) -> Path:
    """Writes one playlist as CSV (Exportify columns) or M3U, atomically.

    Args:
        fmt: "csv" or "m3u".
        links: M3U only: open.spotify.com links instead of spotify: URIs.

    Raises:
        NotFound: no such playlist.
        InputError: unknown format, or the file cannot be written.
    """
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"Unknown export format {fmt!r}.", hint=f"Use one of: {', '.join(EXPORT_FORMATS)}."
        )
    playlist = library.playlist(playlist_id)
    known = library.tracks(playlist.track_uris)
    tracks = [known.get(uri) or Track(uri) for uri in playlist.track_uris]
    out = Path(out_path)
    if fmt == "csv":
        playlist_files.write_csv(out, tracks)
    else:
        playlist_files.write_m3u(out, tracks, links=links)
    return out
