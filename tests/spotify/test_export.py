"""Export: batches of 100, 429 within and beyond the cap, 5xx, dropped answers, resume."""

from __future__ import annotations

import pytest

from assistant.domain import Playlist, Track
from assistant.errors import RateLimited, SpotifyForbidden, SpotifyUnavailable
from assistant.jobs import spotify_sync as sync
from assistant.sources.spotify import SpotipyGateway
from assistant.store import Library
from tests.spotify.fake_server import FakeSpotify, track_uri

ADD = r"^/v1/playlists/\w+/items$"


def local_playlist(library: Library, n: int = 250, start: int = 0) -> int:
    uris = [track_uri(i) for i in range(start, start + n)]
    return library.save_playlist(
        Playlist("Extended", uris, source="local"), [Track(u, f"T{u[-4:]}") for u in uris]
    )


def test_export_250_tracks_in_3_batches(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = local_playlist(library)
    events = []
    result = sync.export_playlist(gateway, library, pid, name="Party+", report=events.append)
    assert result.batches == 3 and result.added == 250 and result.mode == "create"
    assert fake.count("POST", ADD) == 3
    assert fake.uris(result.spotify_playlist_id) == [track_uri(i) for i in range(250)]
    assert fake.playlists[result.spotify_playlist_id]["name"] == "Party+"
    assert events[-1].done == 250 and events[-1].total == 250
    link = library.spotify_link(pid)
    assert (link.status, link.exported_count) == ("done", 250)

    # Exporting again changes nothing remotely (idempotent) ...
    again = sync.export_playlist(gateway, library, pid)
    assert again.added == 0 and again.up_to_date and not again.resumed
    assert len(fake.uris(again.spotify_playlist_id)) == 250
    # ... and after extending the local playlist only the new tracks are sent.
    library.set_playlist_tracks(pid, [*library.playlist(pid).track_uris, track_uri(0)])
    third = sync.export_playlist(gateway, library, pid)
    assert third.added == 1 and len(fake.uris(third.spotify_playlist_id)) == 251


def test_429_within_the_cap_is_waited_out(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = local_playlist(library)
    fake.fail("POST", ADD, 429, retry_after=1, after=1)  # the 2nd batch is rate-limited once
    result = sync.export_playlist(gateway, library, pid)
    assert result.added == 250 and result.batches == 3
    assert fake.count("POST", ADD) == 4  # 3 batches + the refused one
    assert fake.uris(result.spotify_playlist_id) == [track_uri(i) for i in range(250)]


def test_429_beyond_the_cap_stops_and_a_rerun_resumes_without_duplicates(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = local_playlist(library)
    fake.fail("POST", ADD, 429, retry_after=3600, after=1)
    with pytest.raises(RateLimited) as info:
        sync.export_playlist(gateway, library, pid)
    assert "run the same action again later" in str(info.value)
    link = library.spotify_link(pid)
    assert (link.status, link.exported_count) == ("started", 100)
    assert len(fake.uris(link.spotify_playlist_id)) == 100

    result = sync.export_playlist(gateway, library, pid)  # the second run
    assert result.resumed and result.added == 150 and result.batches == 2
    assert result.spotify_playlist_id == link.spotify_playlist_id
    assert fake.uris(link.spotify_playlist_id) == [track_uri(i) for i in range(250)]
    assert fake.count("POST", "^/v1/me/playlists$") == 1  # no second playlist created


def test_500s_are_retried(fake: FakeSpotify, gateway: SpotipyGateway, library: Library) -> None:
    pid = local_playlist(library)
    fake.fail("GET", "^/v1/me/?$", 500, times=2)
    fake.fail("POST", ADD, 500, times=2, after=1)
    gateway._user = None
    assert gateway.current_user().id == "alice"  # two 500s, then success
    result = sync.export_playlist(gateway, library, pid)
    assert fake.uris(result.spotify_playlist_id) == [track_uri(i) for i in range(250)]


def test_persistent_500_is_reported_and_resumable(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = local_playlist(library)
    fake.fail("POST", ADD, 503, times=50, after=2)
    with pytest.raises(SpotifyUnavailable, match="kept failing") as info:
        sync.export_playlist(gateway, library, pid)
    assert "resumes where it stopped" in str(info.value)
    fake.faults.clear()
    result = sync.export_playlist(gateway, library, pid)
    assert result.added == 50 and len(fake.uris(result.spotify_playlist_id)) == 250


def test_answer_lost_after_the_add_landed_gives_no_duplicates(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = local_playlist(library)
    fake.fail("POST", ADD, drop=True, apply_first=True, after=1)  # 2nd add lands, answer lost
    fake.fail("GET", "^/v1/me/?$", drop=True)  # and a dropped connection on a read
    gateway._user = None
    assert gateway.current_user().id == "alice"
    result = sync.export_playlist(gateway, library, pid)
    assert fake.uris(result.spotify_playlist_id) == [track_uri(i) for i in range(250)]


@pytest.mark.parametrize("landed", [True, False], ids=["created-answer-lost", "dropped-before"])
def test_a_lost_create_never_leaves_a_duplicate_playlist(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library, landed: bool
) -> None:
    pid = local_playlist(library, n=30)
    before = set(fake.playlists)
    fake.fail("POST", "^/v1/me/playlists$", drop=True, apply_first=landed)
    result = sync.export_playlist(gateway, library, pid)
    new = set(fake.playlists) - before
    assert new == {result.spotify_playlist_id}  # exactly one playlist, whatever was lost
    assert fake.uris(result.spotify_playlist_id) == [track_uri(i) for i in range(30)]
    assert fake.count("POST", "^/v1/me/playlists$") == (1 if landed else 2)


def test_slow_answer_times_out_and_is_retried(
    fake: FakeSpotify, settings, gateway: SpotipyGateway
) -> None:
    quick = SpotipyGateway(settings, timeout=0.3, backoff=0.01)
    fake.fail("GET", "^/v1/me/?$", delay=1.0)
    assert quick.current_user().id == "alice"
    assert quick.requests == 2  # the slow one timed out after 0.3 s, the retry answered


def test_dropped_connections_are_retried_then_reported(
    fake: FakeSpotify, gateway: SpotipyGateway
) -> None:
    fake.fail("GET", "^/v1/me/?$", drop=True, times=100)
    before = fake.count("GET", "^/v1/me/?$")
    gateway._user = None
    with pytest.raises(SpotifyUnavailable, match="connection to Spotify failed") as info:
        gateway.current_user()
    assert gateway.max_retries == 3 and fake.count("GET", "^/v1/me/?$") - before == 4
    assert "Check the network connection" in str(info.value)


def test_append_to_own_playlist_and_refuse_others(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    mine = fake.add_playlist("Mine", range(5))
    theirs = fake.add_playlist("Theirs", range(5), owner="bob")
    sync.import_playlists(gateway, library, [mine])
    pid = library.find_playlist(f"spotify:{mine}").id
    # The person extends the imported playlist and appends the result to where it came from.
    library.add_tracks([Track(track_uri(i)) for i in range(100, 103)])
    extended = [*library.playlist(pid).track_uris, *(track_uri(i) for i in range(100, 103))]
    library.set_playlist_tracks(pid, extended)
    result = sync.export_playlist(gateway, library, pid, to=mine)
    assert result.mode == "append" and result.added == 3
    assert fake.uris(mine) == extended  # only the new tracks were added
    other = local_playlist(library, 3)
    with pytest.raises(SpotifyForbidden, match="belongs to Bob"):
        sync.export_playlist(gateway, library, other, to=theirs)
