"""Listing and importing playlists: pagination, 403 reported, skipped entries, re-import."""

from __future__ import annotations

from assistant.jobs import spotify_sync as sync
from assistant.sources.spotify import SpotipyGateway
from assistant.store import Library
from tests.spotify.fake_server import FakeSpotify, track_uri


def test_lists_playlists_across_pages(fake: FakeSpotify, gateway: SpotipyGateway) -> None:
    ids = [fake.add_playlist(f"P{i:03d}", range(i % 3)) for i in range(120)]
    listed = gateway.playlists()
    assert [p.id for p in listed] == ids
    assert fake.count("GET", "^/v1/me/playlists$") == 3  # 50 + 50 + 20, following `next`
    assert listed[5].total == 5 % 3 and listed[0].owner_id == "alice"


def test_import_follows_item_pages_and_reports_403(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    mine = fake.add_playlist("Long one", range(130), episodes=2, local=1, nulls=3)
    theirs = fake.add_playlist("Bob's mix", range(500, 510), owner="bob")
    shared = fake.add_playlist("Shared", range(900, 905), owner="bob", collaborative=True)
    summary = sync.import_playlists(gateway, library, [mine, theirs, shared])

    assert [i[0] for i in summary.imported] == [mine, shared]
    assert summary.forbidden == [(theirs, "Bob's mix")]  # reported, the others imported
    assert summary.skipped == {"episodes": 2, "local files": 1, "unavailable": 3}
    # 136 entries = 3 pages of at most 50, read through absolute `next` links.
    assert fake.count("GET", f"^/v1/playlists/{mine}/items$") == 3
    stored = library.find_playlist(f"spotify:{mine}")
    assert stored.track_uris == [track_uri(i) for i in range(130)]
    assert stored.snapshot_id == fake.playlists[mine]["snapshot"]
    assert library.track(track_uri(7)).artist_name == "Artist 0"
    assert library.find_playlist(f"spotify:{shared}").name == "Shared"


def test_reimport_is_a_noop_when_unchanged_and_updates_in_place(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = fake.add_playlist("Mix", range(60))
    sync.import_playlists(gateway, library)
    row_id = library.find_playlist(f"spotify:{pid}").id
    reads = fake.count("GET", "/items$")

    again = sync.import_playlists(gateway, library)
    assert again.unchanged == [(pid, "Mix")] and again.imported == []
    assert fake.count("GET", "/items$") == reads  # same snapshot: items not even read

    fake.playlists[pid]["entries"] = fake.playlists[pid]["entries"][:10]
    fake.playlists[pid]["snapshot"] = "changed"
    third = sync.import_playlists(gateway, library, [f"spotify:playlist:{pid}"])
    assert [i[2] for i in third.imported] == [10]
    updated = library.find_playlist(f"spotify:{pid}")
    assert updated.id == row_id and len(updated.track_uris) == 10  # in place, not duplicated
    assert len(library.playlists(source="spotify")) == 1


def test_import_by_id_of_an_unlisted_playlist(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    pid = fake.add_playlist("Not followed", range(3), listed=False)
    summary = sync.import_playlists(gateway, library, [f"https://open.spotify.com/playlist/{pid}"])
    assert summary.imported == [(pid, "Not followed", 3)]
    missing = sync.import_playlists(gateway, library, ["pl99999999999999999999"])
    assert missing.missing == ["pl99999999999999999999"] and missing.imported == []
