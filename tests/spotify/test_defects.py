"""The six Spotify defects found end to end, one test each, against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings, load_settings, save_settings
from assistant.domain import Playlist, Track
from assistant.jobs import spotify_sync as sync
from assistant.sources.spotify import SpotipyGateway
from assistant.sources.spotify_auth import token_path
from assistant.store import Library
from tests.spotify.conftest import free_port
from tests.spotify.fake_server import FakeSpotify, track_uri

CREATE = "^/v1/me/playlists$"


def _local(library: Library, n: int, name: str = "Mine") -> int:
    uris = [track_uri(i) for i in range(n)]
    return library.save_playlist(Playlist(name, uris), [Track(u, f"T{u[-4:]}") for u in uris])


def test_plain_export_after_an_append_reuses_the_playlist_it_created(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = _local(library, 5)
    first = sync.export_playlist(gateway, library, pid)  # creates "Mine" on Spotify
    other = fake.add_playlist("Elsewhere", range(100, 102))
    sync.export_playlist(gateway, library, pid, to=other)  # appends to another playlist of mine
    library.add_tracks([Track(track_uri(50))])
    library.set_playlist_tracks(pid, [*library.playlist(pid).track_uris, track_uri(50)])
    third = sync.export_playlist(gateway, library, pid)  # a plain export again
    assert third.spotify_playlist_id == first.spotify_playlist_id and third.added == 1
    assert fake.count("POST", CREATE) == 1  # no second "Mine" on Spotify
    assert [v["name"] for v in fake.playlists.values()].count("Mine") == 1
    # one record per remote playlist
    assert {link.spotify_playlist_id for link in library.spotify_links(pid)} == {
        first.spotify_playlist_id,
        other,
    }


def test_unavailable_tracks_are_reported_as_unavailable_per_playlist(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library, capsys
) -> None:
    gone = fake.add_playlist("Old favourites", range(4), unavailable=2, local=1)
    fine = fake.add_playlist("Fine", range(10, 13))
    summary = sync.import_playlists(gateway, library, [gone, fine])
    assert summary.skipped_by_playlist == {
        gone: {"episodes": 0, "local files": 1, "unavailable": 2}
    }
    assert summary.skipped["local files"] == 1 and summary.skipped["unavailable"] == 2
    # The CLI says it on the playlist's own line.
    save_settings(Settings(spotify_client_id="test-client"))
    fake.playlists[gone]["snapshot"] = "new"
    assert main(["spotify", "import", gone, "--library", str(library.path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"imported  {gone}  4 tracks  Old favourites  (left out: 1 local files, 2 unavailable)"
        in out
    )


def test_a_playlist_without_snapshot_id_is_compared_by_contents(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = fake.add_playlist("No snapshot", range(6))
    fake.playlists[pid]["snapshot"] = ""
    assert [i[0] for i in sync.import_playlists(gateway, library, [pid]).imported] == [pid]
    again = sync.import_playlists(gateway, library, [pid])
    assert again.unchanged == [(pid, "No snapshot")] and again.imported == []
    fake.playlists[pid]["entries"] = fake.playlists[pid]["entries"][:3]  # changed remotely
    third = sync.import_playlists(gateway, library, [pid])
    assert third.imported == [(pid, "No snapshot", 3)]
    assert len(library.find_playlist(f"spotify:{pid}").track_uris) == 3


@pytest.mark.parametrize(
    "token", [{"access_token": "x"}, {"access_token": "x", "expires_at": "soon"}, [1, 2]]
)
def test_a_token_file_without_expires_at_means_not_signed_in(
    fake: FakeSpotify, token: object, capsys
) -> None:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token))
    save_settings(Settings(spotify_client_id="test-client"))
    assert main(["spotify", "whoami"]) == 1
    err = capsys.readouterr().err
    assert "not signed in" in err and "Traceback" not in err
    assert not SpotipyGateway(load_settings()).signed_in()


PERSON = """\
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=10).read()
except urllib.error.HTTPError:
    pass  # Spotify's error page: the browser never comes back to the app
"""


@pytest.mark.slow
def test_a_wrong_client_id_is_not_saved_and_the_timeout_says_why(
    fake: FakeSpotify, tmp_path: Path
) -> None:
    browser = tmp_path / "person.py"
    browser.write_text(PERSON)
    env = {
        **os.environ,
        "BROWSER": f"{sys.executable} {browser} %s",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    port = free_port()
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "spotify", "login", "--client-id", "wrong-id",
         "--port", str(port), "--timeout", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "No answer from the browser within 2 s" in out.stderr
    assert "client ID is wrong" in out.stderr
    assert f"add exactly http://127.0.0.1:{port}/callback" in out.stderr
    assert load_settings().spotify_client_id == ""  # not saved: it never signed in


def test_a_finished_export_rerun_says_up_to_date_without_absurd_rates(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library, capsys
) -> None:
    pid = _local(library, 120)
    save_settings(Settings(spotify_client_id="test-client"))
    lib = str(library.path)
    assert main(["spotify", "export", str(pid), "--library", lib]) == 0
    first = capsys.readouterr()
    assert "120 tracks added in 2 batches" in first.out
    assert main(["spotify", "export", str(pid), "--library", lib]) == 0
    again = capsys.readouterr()
    assert "(resumed)" not in again.out and "already up to date" in again.out
    assert "nothing to add" in again.out
    assert "tracks/s" not in again.err  # no rate for work this run did not do
    assert fake.count("POST", CREATE) == 1


def test_export_of_a_playlist_with_synthetic_tracks_is_refused(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library, capsys
) -> None:
    from assistant.jobs.imports import import_demo

    import_demo(library)
    demo = library.playlist(library.playlists(source="demo", limit=1)[0].id)
    named = library.track(demo.track_uris[0]).name
    pid = _local(library, 3)
    library.set_playlist_tracks(pid, [*library.playlist(pid).track_uris, *demo.track_uris[:2]])
    save_settings(Settings(spotify_client_id="test-client"))
    before = len(fake.log)
    assert main(["spotify", "export", str(pid), "--library", str(library.path)]) == 2
    err = capsys.readouterr().err
    assert "2 synthetic demo track(s)" in err and named in err
    assert "Nothing was sent to Spotify" in err
    assert fake.count("POST", CREATE) == 0 and len(fake.log) == before  # no remote call
