"""Spotify use cases over the gateway: import, export, disconnect (Qt-free).

The gateway (:mod:`assistant.sources.spotify`) talks to Spotify; what a person's action
means for the library and the models lives here:

- **import**: the chosen playlists become ``spotify`` playlists of the library; one that
  did not change (same ``snapshot_id``, or the same contents when Spotify gives none) is
  left alone; entries that are not tracks are counted per playlist.
- **export**: a library playlist goes to a new Spotify playlist or is appended to one of
  the person's. Progress is recorded after every batch, one record per (library
  playlist, Spotify playlist), so a re-run finishes an export without duplicates.
  Synthetic (demo) tracks are refused before anything is created remotely.
- **disconnect**: the token, everything imported from Spotify, and every model trained
  on Spotify playlists are deleted.

The CLI and the window use Spotify through this module only (the window's worker jobs
open their own library: see :mod:`assistant.ui.spotify_dialogs`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.domain import Playlist
from assistant.errors import Cancelled, InputError, SpotifyForbidden, SpotifyNotFound
from assistant.progress import CancelToken, ProgressCallback, Reporter
from assistant.sources.spotify import BATCH, SpotifyGateway, SpotipyGateway
from assistant.sources.spotify_auth import notice_text, redirect_uri  # noqa: F401 (facade)
from assistant.sources.spotify_parse import (
    SpotifyPlaylistInfo,
    SpotifyUser,
    no_skips,
    parse_entries,
    playlist_id,
)
from assistant.store.library import Library, SpotifyLink

SPOTIFY_SOURCE = "spotify"


def gateway(settings: Settings | None = None, *, quick: bool = False) -> SpotipyGateway:
    """The Spotify gateway for these settings (default: the saved ones).

    ``quick``: one try and a short timeout, for a status check that must not keep a
    window waiting.
    """
    settings = settings or load_settings()
    if quick:
        return SpotipyGateway(settings, max_retries=1, timeout=5.0)
    return SpotipyGateway(settings)


def login(
    settings: Settings, open_browser: Callable[[str], Any], cancel: CancelToken | None = None
) -> SpotifyUser:
    return gateway(settings).login(open_browser=open_browser, cancel=cancel)


def signed_in_user(settings: Settings) -> SpotifyUser | None:
    """Who is signed in, or None (quick: for a status line)."""
    g = gateway(settings, quick=True)
    return g.current_user() if g.signed_in() else None


def user_and_playlists(
    settings: Settings, cancel: CancelToken | None = None
) -> tuple[SpotifyUser, list[SpotifyPlaylistInfo]]:
    g = gateway(settings)
    return g.current_user(), g.playlists(cancel=cancel)


@dataclass(slots=True)
class SpotifyImportSummary:
    """What one import did: each playlist lands in exactly one of the lists."""

    imported: list[tuple[str, str, int]] = field(default_factory=list)  # id, name, entries
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    forbidden: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids Spotify does not know
    skipped: dict[str, int] = field(default_factory=no_skips)  # totals
    # Per playlist id, the entries left out (only playlists that had some).
    skipped_by_playlist: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExportResult:
    playlist_id: int
    spotify_playlist_id: str
    mode: str  # "create" | "append"
    added: int  # tracks added by this run
    total: int  # tracks of the local playlist that are now on Spotify
    batches: int
    resumed: bool  # an earlier run had started this export and not finished it
    skipped: int  # entries that are not Spotify tracks
    already: int = 0  # tracks that were on Spotify before this run

    @property
    def up_to_date(self) -> bool:
        """Nothing had to be added: every track was already on Spotify."""
        return self.added == 0 and not self.resumed


@dataclass(slots=True)
class DisconnectResult:
    playlists: int  # Spotify playlists removed from the library
    checkpoints: list[str] = field(default_factory=list)  # model files deleted
    active_reset: bool = False  # the active model was one of them: back to the bundled one


# -- import ----------------------------------------------------------------------------------


def import_playlists(
    gateway: SpotifyGateway,
    library: Library,
    ids: Sequence[str] | None = None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SpotifyImportSummary:
    """Imports the chosen playlists (all when ``ids`` is None) into the library.

    A playlist whose ``snapshot_id`` matches the stored one is left alone without
    reading its items; without a snapshot id its contents are compared instead. A 403
    (not the person's playlist) is reported in the summary and the others are still
    imported. Each playlist is written in its own transaction.
    """
    listed = {p.id: p for p in gateway.playlists(cancel=cancel)}
    wanted = [playlist_id(i) for i in ids] if ids is not None else list(listed)
    stored = {s.source_ref: s.id for s in library.playlists(source=SPOTIFY_SOURCE)}
    summary = SpotifyImportSummary()
    reporter = Reporter(report, "spotify import", total=len(wanted), unit="playlists")
    for n, sid in enumerate(wanted):
        if cancel and cancel.cancelled:
            raise Cancelled(
                f"Import stopped after {n} of {len(wanted)} playlists; those are kept. "
                "Import again to get the rest."
            )
        try:
            info = listed.get(sid) or gateway.playlist_info(sid)
        except SpotifyNotFound:
            summary.missing.append(sid)
            continue
        except SpotifyForbidden:
            summary.forbidden.append((sid, sid))
            continue
        reporter.update(n, message=info.name, force=True)
        before = library.playlist(stored[sid]) if sid in stored else None
        if before is not None and info.snapshot_id and before.snapshot_id == info.snapshot_id:
            summary.unchanged.append((sid, info.name))
            continue
        try:
            entries = list(gateway.item_pages(sid, cancel))
        except SpotifyForbidden:
            summary.forbidden.append((sid, info.name))
            continue
        except SpotifyNotFound:  # deleted on Spotify since it was listed
            summary.missing.append(sid)
            continue
        skipped = no_skips()
        uris, rows = parse_entries(entries, skipped)
        if any(skipped.values()):
            summary.skipped_by_playlist[sid] = skipped
            for what, count in skipped.items():
                summary.skipped[what] += count
        # Without a snapshot id (some playlists have ""), the contents tell.
        if (
            before is not None
            and not info.snapshot_id
            and (before.track_uris, before.name, before.description)
            == (uris, info.name, info.description)
        ):
            summary.unchanged.append((sid, info.name))
            continue
        digest = hashlib.sha256(json.dumps([sid, info.snapshot_id, uris]).encode()).hexdigest()
        playlist = Playlist(
            name=info.name,
            track_uris=uris,
            source=SPOTIFY_SOURCE,
            source_ref=sid,
            description=info.description,
            collaborative=info.collaborative,
            snapshot_id=info.snapshot_id,
        )
        result = library.import_playlists(
            kind=SPOTIFY_SOURCE,
            path=f"spotify:playlist:{sid}",
            sha256=digest,
            playlists=[playlist],
            tracks=rows,
        )
        if result.skipped:  # the very same content was imported before
            summary.unchanged.append((sid, info.name))
        else:
            summary.imported.append((sid, info.name, len(uris)))
    reporter.finish(len(wanted))
    return summary


# -- export ----------------------------------------------------------------------------------


def refuse_synthetic(library: Library, playlist: Playlist) -> None:
    """Raises :class:`InputError` naming the playlist's synthetic (demo) tracks, if any:
    they are invented and must never reach Spotify."""
    synthetic = library.synthetic_uris(playlist.track_uris)
    if not synthetic:
        return
    known = library.tracks(synthetic)
    names = [
        f"“{known[u].name}” by {known[u].artist_name}" if u in known else u
        for u in dict.fromkeys(playlist.track_uris)
        if u in synthetic
    ]
    shown = "; ".join(names[:5]) + (f"; and {len(names) - 5} more" if len(names) > 5 else "")
    raise InputError(
        f"“{playlist.name}” holds {len(names)} synthetic demo track(s), which do not exist "
        f"on Spotify: {shown}. Nothing was sent to Spotify.",
        hint="Remove those tracks from the playlist (or export a copy without them), "
        "then export again.",
    )


def export_playlist(
    gateway: SpotifyGateway,
    library: Library,
    playlist_id_: int,
    *,
    to: str | None = None,
    name: str | None = None,
    public: bool = False,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Sends a library playlist to Spotify: a new playlist, or appended to one (``to``).

    Resumable and idempotent: progress is saved after every batch of 100, and a re-run
    reads the remote playlist first and adds only what is not there yet. A plain export
    always goes to the playlist an earlier plain export created (appending elsewhere in
    between does not make it create a second one).
    """
    local = library.playlist(playlist_id_)
    refuse_synthetic(library, local)  # before anything is created remotely
    uris = [u for u in local.track_uris if u.startswith("spotify:track:")]
    remote: list[str] | None = None
    if to:
        target = playlist_id(to)
        info = gateway.playlist_info(target)
        me = gateway.current_user()
        if info.owner_id != me.id and not info.collaborative:
            raise SpotifyForbidden(
                f"“{info.name}” belongs to {info.owner_name}; you can only add to your own "
                "playlists.",
                hint="Choose one of your playlists, or export to a new one.",
            )
        earlier = library.spotify_link(playlist_id_, spotify_playlist_id=target)
        link = earlier
        if link is None:
            remote = gateway.item_uris(target, cancel)
            link = _link(playlist_id_, target, "append", base=len(remote))
            library.set_spotify_link(link)
    else:
        # The playlist a plain export created before, whatever was appended elsewhere.
        earlier = library.spotify_link(playlist_id_, mode="create")
        link = earlier
        if link is not None:
            try:
                remote = gateway.item_uris(link.spotify_playlist_id, cancel)
            except SpotifyNotFound:  # deleted on Spotify: create it again
                library.delete_spotify_link(playlist_id_, link.spotify_playlist_id)
                link = earlier = None
        if link is None:
            created = gateway.create_playlist(name or local.name, public=public, cancel=cancel)
            link = _link(playlist_id_, created, "create", base=0)
            library.set_spotify_link(link)
            remote = []  # a new playlist is empty: no need to read it
    resumed = earlier is not None and earlier.status == "started"
    target = link.spotify_playlist_id
    if remote is None:
        remote = gateway.item_uris(target, cancel)
    base = link.base_count
    # Appending a playlist to the one it came from adds only its new tracks.
    before = set(remote[:base])
    uris = [u for u in uris if u not in before]
    todo = remaining(remote, base, uris)
    already = len(uris) - len(todo)
    # Progress counts this run's tracks only: counting those already there as done at
    # t=0 made the rate read like 181,868,895 tracks/s.
    reporter = Reporter(report, "spotify export", total=len(todo), unit="tracks")
    note = f"{already} already on Spotify" if already else ""
    reporter.update(0, message=note, force=True)
    added = batches = 0
    while todo:
        if cancel and cancel.cancelled:
            raise Cancelled(
                f"Export stopped after {len(uris) - len(todo)} of {len(uris)} tracks; "
                "export again to finish it (nothing will be duplicated)."
            )
        batch = todo[:BATCH]
        gateway.add_items(
            target,
            batch,
            landed=lambda b=batch: set(
                remaining(gateway.item_uris(target, cancel), base, uris)
            ).isdisjoint(b),
            cancel=cancel,
        )
        todo = todo[BATCH:]
        added += len(batch)
        batches += 1
        link = dataclasses.replace(
            link, exported_count=len(uris) - len(todo), updated_at=time.time()
        )
        library.set_spotify_link(link)
        reporter.update(added, message=note, force=True)
    library.set_spotify_link(
        dataclasses.replace(link, exported_count=len(uris), status="done", updated_at=time.time())
    )
    reporter.finish(added, message=note)
    return ExportResult(
        playlist_id_,
        target,
        link.mode,
        added,
        len(uris),
        batches,
        resumed,
        sum(not u.startswith("spotify:track:") for u in local.track_uris),
        already,
    )


def remaining(remote: list[str], base: int, uris: list[str]) -> list[str]:
    """What still has to be added so that the remote playlist ends with ``uris``.

    ``remote[:base]`` was there before the export began. When the rest is a prefix of
    ``uris`` (the usual case: an interrupted export) the tail is left; when the remote
    playlist was edited meanwhile, only the tracks it lacks are added: never a duplicate.
    """
    done = remote[base:]
    if done == uris[: len(done)]:
        return uris[len(done) :]
    present = set(remote)
    return [u for u in uris if u not in present]


def _link(playlist_id_: int, spotify_id: str, mode: str, *, base: int) -> SpotifyLink:
    return SpotifyLink(playlist_id_, spotify_id, mode, base, 0, "started", time.time())


# -- disconnect ------------------------------------------------------------------------------


def forget_spotify_models(library: Library, settings: Settings) -> tuple[list[str], bool]:
    """Deletes every checkpoint trained on Spotify playlists (files and records).

    Returns the deleted paths and whether the active model was among them (then
    ``settings.active_checkpoint`` is cleared; the caller saves the settings).
    """
    deleted: list[str] = []
    for record in library.checkpoints():
        if SPOTIFY_SOURCE not in record.sources:
            continue
        Path(record.path).unlink(missing_ok=True)
        library.delete_checkpoint_record(record.path)
        deleted.append(record.path)
    active = settings.active_checkpoint
    reset = bool(active) and any(_same(active, p) for p in deleted)
    if reset:
        settings.active_checkpoint = ""
    return deleted, reset


def disconnect(gateway: SpotifyGateway, library: Library, settings: Settings) -> DisconnectResult:
    """Deletes the token, everything imported from Spotify, and models trained on it."""
    gateway.forget_token()
    playlists = library.delete_source(SPOTIFY_SOURCE)
    library.delete_spotify_links()
    deleted, reset = forget_spotify_models(library, settings)
    return DisconnectResult(playlists, deleted, reset)


def _same(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b
