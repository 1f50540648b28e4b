"""End to end: the real CLI in a subprocess, pointed at the fake server, BROWSER as the person."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.store import Library
from tests.spotify.conftest import free_port
from tests.spotify.fake_server import FakeSpotify, track_uri

PERSON = """\
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=10).read()  # follows the redirect to /callback
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_cli_login_import_export_disconnect(fake: FakeSpotify, tmp_path: Path) -> None:
    mine = fake.add_playlist("Road trip", range(120))
    fake.add_playlist("Bob's", range(3), owner="bob")
    browser = tmp_path / "person.py"
    browser.write_text(PERSON)
    env = {
        **os.environ,
        "BROWSER": f"{sys.executable} {browser} %s",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    lib = str(tmp_path / "lib.sqlite")

    out = run(["spotify", "login", "--client-id", "test-client", "--port", str(free_port())], env)
    assert out.returncode == 0, out.stderr
    assert "Signed in to Spotify as Alice (alice)" in out.stdout
    assert "Everything stays on this computer" in out.stderr  # the first-use notice
    token = Path(os.environ["PLAYLIST_ASSISTANT_HOME"]) / "config" / "spotify-token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    again = run(["spotify", "whoami", "--library", lib], env)
    assert again.stdout.strip() == "Alice (alice)"

    out = run(["spotify", "playlists", "--library", lib], env)
    assert mine in out.stdout and "not yours" in out.stdout

    out = run(["spotify", "import", "--all", "--library", lib], env)
    assert out.returncode == 0, out.stderr
    assert f"imported  {mine}  120 tracks" in out.stdout and "refused" in out.stdout
    assert "spotify import" in out.stderr  # progress on stderr

    out = run(
        ["spotify", "export", f"spotify:{mine}", "--name", "Road trip+", "--library", lib], env
    )
    assert out.returncode == 0, out.stderr
    assert "120 tracks added in 2 batches" in out.stdout
    new = next(p for p, v in fake.playlists.items() if v["name"] == "Road trip+")
    assert fake.uris(new) == [track_uri(i) for i in range(120)]

    fake.fail("POST", r"^/v1/me/playlists$", 429, retry_after=7200)
    # A second export while Spotify asks to wait two hours: stopped, not hung.
    with Library(lib) as library:
        local = str(library.create_local_playlist("Second", [track_uri(1)]))
    out = run(["spotify", "export", local, "--library", lib], env)
    assert out.returncode == 1 and "rate-limiting" in out.stderr and "again later" in out.stderr
    out = run(["spotify", "export", f"spotify:{mine}", "--to", "nope!", "--library", lib], env)
    assert out.returncode == 2 and "not a Spotify playlist ID" in out.stderr

    out = run(["spotify", "disconnect", "--library", lib], env)
    assert out.returncode == 0 and "1 Spotify playlists removed" in out.stdout
    assert not token.exists()
    with Library(lib) as library:
        assert library.playlists(source="spotify") == []
    out = run(["spotify", "whoami", "--library", lib], env)
    assert out.returncode == 1 and "not signed in" in out.stderr
