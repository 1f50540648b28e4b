"""Library sub-commands: import-mpd, import-file, playlists, show, export-file, stats, demo,
remove-demo."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from assistant.cli.common import (
    StderrProgress,
    add_library_option,
    library_to_write,
    open_library,
    print_json,
    terminal_safe,
)
from assistant.domain import SOURCES
from assistant.jobs.imports import (
    EXPORT_FORMATS,
    ImportSummary,
    export_playlist_file,
    import_csv,
    import_demo,
    import_mpd,
    remove_demo,
    synthetic_note,
    synthetic_tracks,
)
from assistant.progress import format_seconds


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the library commands to the top-level parser."""
    p = subparsers.add_parser(
        "import-mpd",
        help="import MPD slice files or folders of them",
        description="Import Million Playlist Dataset slices (mpd.slice.*.json) into the library. "
        "Each file is one transaction; files imported before are skipped; a broken file is "
        "reported and the others are still imported (exit status 1).",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="slice files or folders")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_library_option(p)
    p.set_defaults(func=cmd_import_mpd)

    p = subparsers.add_parser(
        "import-file",
        help="import a CSV (Exportify columns) or M3U file as one playlist",
    )
    p.add_argument("path", type=Path, metavar="PATH")
    add_library_option(p)
    p.set_defaults(func=cmd_import_file)

    p = subparsers.add_parser("playlists", help="list playlists (by name)")
    p.add_argument("--search", metavar="TEXT", help="only names containing TEXT")
    p.add_argument("--source", choices=SOURCES)
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (0: all)")
    p.add_argument("--json", action="store_true")
    add_library_option(p)
    p.set_defaults(func=cmd_playlists)

    p = subparsers.add_parser("show", help="show one playlist with its tracks")
    p.add_argument("playlist", metavar="PLAYLIST", help="id, source:ref (mpd:1099) or exact name")
    p.add_argument("--json", action="store_true")
    add_library_option(p)
    p.set_defaults(func=cmd_show)

    p = subparsers.add_parser("export-file", help="write a playlist as CSV or M3U")
    p.add_argument("playlist", metavar="PLAYLIST", help="id, source:ref (mpd:1099) or exact name")
    p.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    p.add_argument("--out", type=Path, required=True, metavar="PATH")
    p.add_argument(
        "--links", action="store_true", help="M3U: open.spotify.com links instead of URIs"
    )
    add_library_option(p)
    p.set_defaults(func=cmd_export_file)

    p = subparsers.add_parser("stats", help="counts of playlists, entries, tracks, artists...")
    p.add_argument("--json", action="store_true")
    add_library_option(p)
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser(
        "demo", help="import the bundled synthetic demo catalog (2,000 invented playlists)"
    )
    add_library_option(p)
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser(
        "remove-demo",
        help="remove the synthetic demo catalog (its playlists and invented tracks)",
    )
    add_library_option(p)
    p.set_defaults(func=cmd_remove_demo)


# -- imports ---------------------------------------------------------------------------


def _print_summary(summary: ImportSummary) -> None:
    imported = [r for r in summary.results if not r.skipped]
    rate = summary.entries / summary.seconds if summary.seconds > 0 else 0.0
    print(
        f"Imported {summary.playlists:,} playlists ({summary.entries:,} entries) from "
        f"{len(imported)} file(s) in {format_seconds(summary.seconds)}"
        + (f" ({rate:,.0f} entries/s)" if imported else "")
        + "."
    )
    if summary.skipped:
        print(f"Skipped {summary.skipped} file(s) imported before (same content).")


def cmd_import_mpd(args: argparse.Namespace) -> int:
    progress = StderrProgress()
    with library_to_write(args) as library:
        try:
            summary = import_mpd(library, args.paths, report=progress)
        finally:
            progress.close()
    for error in summary.errors:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        print_json(
            {
                "playlists": summary.playlists,
                "entries": summary.entries,
                "seconds": summary.seconds,
                "files": [asdict(r) for r in summary.results],
                "errors": [str(e) for e in summary.errors],
            }
        )
    else:
        _print_summary(summary)
        if summary.errors:
            print(f"{len(summary.errors)} file(s) could not be imported (see above).")
    return 1 if summary.errors else 0


def cmd_import_file(args: argparse.Namespace) -> int:
    with library_to_write(args) as library:
        result = import_csv(library, args.path)
    if result.skipped:
        print(f"{args.path}: already imported (same content); nothing changed.")
    else:
        print(f"Imported '{terminal_safe(args.path.stem)}': {result.entries} tracks.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    progress = StderrProgress()
    with library_to_write(args) as library:
        try:
            summary = import_demo(library, report=progress)
        finally:
            progress.close()
    _print_summary(summary)
    print(
        "The demo catalog is synthetic: invented playlists, tracks and artists "
        "(source 'demo'; remove it with `remove-demo`)."
    )
    return 0


def cmd_remove_demo(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        removed = remove_demo(library)
    print(f"Removed the demo catalog: {removed:,} synthetic playlists.")
    return 0


# -- browsing --------------------------------------------------------------------------


def cmd_playlists(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        limit = args.limit if args.limit and args.limit > 0 else None
        rows = library.playlists(args.search, source=args.source, limit=limit)
        total = library.count_playlists(args.source)
    if args.json:
        print_json([asdict(r) for r in rows])
        return 0
    if not rows:
        print("No playlists." + ("" if total else " Import some with `import-mpd` or `demo`."))
        return 0
    width = max(len(str(r.id)) for r in rows)
    ref_width = min(24, max(len(f"{r.source}:{r.source_ref}") for r in rows))
    for r in rows:
        ref = f"{r.source}:{r.source_ref}"
        if len(ref) > ref_width:
            ref = "…" + ref[-(ref_width - 1) :]
        print(
            f"{r.id:>{width}}  {terminal_safe(ref):<{ref_width}}  {r.num_tracks:>4} tracks  "
            f"{terminal_safe(r.name)}"
        )
    if limit and len(rows) == limit:
        print(f"(first {limit}; --limit 0 shows all, --search TEXT narrows)")
    return 0


def _duration(ms: int) -> str:
    if not ms:
        return "-:--"
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def cmd_show(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        playlist = library.find_playlist(args.playlist)
        tracks = library.tracks(playlist.track_uris)
    if args.json:
        data = asdict(playlist)
        data["tracks"] = [
            asdict(tracks[u]) if u in tracks else {"uri": u} for u in playlist.track_uris
        ]
        print_json(data)
        return 0
    total_ms = sum(tracks[u].duration_ms for u in playlist.track_uris if u in tracks)
    ref = terminal_safe(f"{playlist.source}:{playlist.source_ref}")
    print(f"{terminal_safe(playlist.name)}  [id {playlist.id}, {ref}]")
    if playlist.description:
        print(terminal_safe(playlist.description, limit=1000))
    print(f"{len(playlist.track_uris)} tracks, {format_seconds(total_ms / 1000)}")
    for pos, uri in enumerate(playlist.track_uris, start=1):
        t = tracks.get(uri)
        if t is None:
            print(f"{pos:>4}. {uri}")
            continue
        album = f"  [{terminal_safe(t.album_name)}]" if t.album_name else ""
        name, artist = terminal_safe(t.name or uri), terminal_safe(t.artist_name or "?")
        print(f"{pos:>4}. {name} — {artist}{album}  {_duration(t.duration_ms)}")
    return 0


def cmd_export_file(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        playlist = library.find_playlist(args.playlist)
        assert playlist.id is not None
        out = export_playlist_file(library, playlist.id, args.format, args.out, links=args.links)
        note = synthetic_note(synthetic_tracks(library, playlist.id))
    print(
        f"Wrote '{terminal_safe(playlist.name)}' ({len(playlist.track_uris)} tracks) "
        f"to {terminal_safe(str(out), limit=1000)}."
    )
    if note:
        print(f"Note: {note}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        stats = library.stats()
        sources = library.source_counts()
        path = str(library.path)
    if args.json:
        print_json({"library": path, **stats, "sources": sources})
        return 0
    print(f"Library: {path}")
    for key, value in stats.items():
        print(f"  {key.replace('_', ' '):<20} {value:>12,}")
    if sources:
        print("  by source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(sources.items())))
    return 0
