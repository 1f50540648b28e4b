"""``playlist-assistant spotify login|whoami|playlists|import|export|disconnect``.

Every sub-command accepts ``--library PATH``. Progress goes to stderr; results to stdout.
``PLAYLIST_ASSISTANT_SPOTIFY_API_URL``/``..._ACCOUNTS_URL`` point the commands at a test
server, and ``BROWSER`` chooses the browser for the sign-in step.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import webbrowser
from typing import TYPE_CHECKING, Any

from assistant.cli.common import (
    StderrProgress,
    add_library_option,
    library_to_write,
    open_library,
    print_json,
)
from assistant.config import Settings, load_settings, save_settings
from assistant.errors import InputError

if TYPE_CHECKING:
    from types import ModuleType

    from assistant.jobs.spotify_sync import SpotipyGateway


def register(subparsers: Any) -> None:
    spotify = subparsers.add_parser(
        "spotify",
        help="sign in to Spotify, import your playlists, export playlists back",
        description="Spotify: sign in with your own client ID, import your playlists, "
        "export extended playlists back (resumable), disconnect (deletes token and data).",
    )
    sub = spotify.add_subparsers(dest="spotify_command", metavar="ACTION", required=True)

    p = sub.add_parser("login", help="sign in in the browser (PKCE)")
    p.add_argument("--client-id", help="your app's client ID (saved in Settings)")
    p.add_argument("--port", type=int, help="loopback port of the redirect URI (saved)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait (180)")
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("whoami", help="show who is signed in")
    p.set_defaults(func=cmd_whoami)

    p = sub.add_parser("playlists", help="list your Spotify playlists")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_playlists)

    p = sub.add_parser("import", help="import playlists into the library")
    p.add_argument("ids", nargs="*", metavar="ID", help="playlist IDs, URIs or links")
    p.add_argument("--all", action="store_true", help="import every listed playlist")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export a library playlist to Spotify")
    p.add_argument("playlist", metavar="PLAYLIST", help="library id, source:ref or exact name")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="SPOTIFY_ID", help="append to this playlist of yours")
    target.add_argument("--name", help="name of the new Spotify playlist (default: same)")
    p.add_argument("--public", action="store_true", help="make a new playlist public")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "disconnect",
        help="delete the token, everything imported from Spotify and models trained on it",
    )
    p.set_defaults(func=cmd_disconnect)

    for action in sub.choices.values():
        add_library_option(action)


def _gateway(settings: Settings | None = None) -> SpotipyGateway:
    return _sync().gateway(settings)


def _sync() -> ModuleType:
    # Imported here: the HTTP stack is not needed to start the CLI.
    from assistant.jobs import spotify_sync

    return spotify_sync


def cmd_login(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.client_id:
        settings.spotify_client_id = args.client_id.strip()
    if args.port:
        settings.spotify_redirect_port = args.port
    from assistant.jobs.spotify_sync import notice_text, redirect_uri

    gateway = _gateway(settings)
    gateway.require_client_id()
    if not settings.spotify_notice_accepted:
        print("Connecting Spotify", notice_text(), sep="\n", file=sys.stderr)
        print("(`playlist-assistant spotify disconnect` disconnects.)", file=sys.stderr)
    port = settings.spotify_redirect_port
    print(
        f"Opening the browser to sign in (redirect URI {redirect_uri(port)}); "
        f"waiting up to {args.timeout:.0f} s…",
        file=sys.stderr,
    )

    def open_browser(url: str) -> None:
        print(f"If no browser opens, visit:\n{url}", file=sys.stderr)
        webbrowser.open(url)

    user = gateway.login(open_browser=open_browser, timeout=args.timeout)
    # Saved only now: a client ID that never signed in must not become the setting.
    settings.spotify_notice_accepted = True
    save_settings(settings)
    print(f"Signed in to Spotify as {user.display_name} ({user.id}).")
    return 0


def cmd_whoami(args: argparse.Namespace) -> int:
    user = _gateway().current_user()
    print(f"{user.display_name} ({user.id})")
    return 0


def cmd_playlists(args: argparse.Namespace) -> int:
    gateway = _gateway()
    playlists = gateway.playlists()
    me = gateway.current_user().id
    if args.json:
        print_json([dataclasses.asdict(p) for p in playlists])
        return 0
    for p in playlists:
        mark = "" if p.owner_id == me or p.collaborative else "  (not yours: cannot be imported)"
        print(f"{p.id}\t{p.total:>5} items\t{p.name}{mark}")
    print(f"{len(playlists)} playlists", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if not args.ids and not args.all:
        raise InputError(
            "Name the playlists to import, or use --all.",
            hint="List them with `playlist-assistant spotify playlists`.",
        )
    progress = StderrProgress()
    with library_to_write(args) as library:
        try:
            summary = _sync().import_playlists(
                _gateway(), library, None if args.all else args.ids, report=progress
            )
        finally:
            progress.close()
    for sid, name, entries in summary.imported:
        print(f"imported  {sid}  {entries} tracks  {name}{_skips(summary, sid)}")
    for sid, name in summary.unchanged:
        print(f"unchanged {sid}  {name}")
    for sid, name in summary.forbidden:
        print(f"refused   {sid}  {name}  (Spotify answers 403: not your playlist)")
    for sid in summary.missing:
        print(f"missing   {sid}  (Spotify does not know this playlist)")
    return 0


def _skips(summary: Any, sid: str) -> str:
    """ "  (left out: 2 unavailable, 1 local files)" for one playlist, "" when none."""
    counts = summary.skipped_by_playlist.get(sid, {})
    text = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    return f"  (left out: {text})" if text else ""


def cmd_export(args: argparse.Namespace) -> int:
    progress = StderrProgress()
    with open_library(args) as library:
        playlist = library.find_playlist(args.playlist)
        try:
            result = _sync().export_playlist(
                _gateway(),
                library,
                int(playlist.id or 0),
                to=args.to,
                name=args.name,
                public=args.public,
                report=progress,
            )
        finally:
            progress.close()
    where = f"spotify:playlist:{result.spotify_playlist_id}"
    skipped = f"; {result.skipped} non-Spotify entries skipped" if result.skipped else ""
    if result.up_to_date:
        print(
            f"{playlist.name!r} is already up to date on {where}: all {result.total} tracks "
            f"are there; nothing to add{skipped}."
        )
        return 0
    verb = "appended to" if result.mode == "append" else "exported to"
    resumed = f" (resumed: {result.already} were already there)" if result.resumed else ""
    print(
        f"{playlist.name!r} {verb} {where}: {result.added} tracks added in "
        f"{result.batches} batches, {result.total} in all{resumed}{skipped}"
    )
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    settings = load_settings()
    with library_to_write(args) as library:
        result = _sync().disconnect(_gateway(settings), library, settings)
    if result.active_reset:
        save_settings(settings)
    print(
        f"Disconnected: token deleted, {result.playlists} Spotify playlists removed from the "
        f"library, {len(result.checkpoints)} models trained on them deleted."
        + (" The bundled model is active again." if result.active_reset else "")
    )
    return 0
