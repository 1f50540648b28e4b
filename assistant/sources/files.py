"""Playlist files: CSV in Exportify's columns (import and export) and M3U (export, import).

Exportify (the tool most people use to export Spotify playlists) writes one row per track
with columns such as "Track URI", "Track Name", "Artist URI(s)", "Artist Name(s)",
"Album URI", "Album Name" and "Duration (ms)" (older versions: "Track Duration (ms)").
Import is tolerant: columns may come in any order, unknown columns are ignored, and a file
with nothing but a "Track URI" (or "Spotify URI", "URI", "Spotify ID") column works too.
One file becomes one playlist (``source="file"``, ``source_ref`` = absolute path, name =
file stem), so importing an edited file again replaces that playlist in place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import Playlist, Track
from assistant.errors import InputError
from assistant.process import remove_stale_temp_files
from assistant.store.library import TrackRow

CSV_COLUMNS = (
    "Track URI",
    "Track Name",
    "Artist URI(s)",
    "Artist Name(s)",
    "Album URI",
    "Album Name",
    "Duration (ms)",
)
# Header aliases (compared lower-cased, spaces collapsed) -> our field.
_ALIASES = {
    "track uri": "uri",
    "spotify uri": "uri",
    "uri": "uri",
    "spotify id": "uri",
    "track id": "uri",
    "track name": "name",
    "name": "name",
    "title": "name",
    "artist uri(s)": "artist_uri",
    "artist uri": "artist_uri",
    "artist ids": "artist_uri",
    "artist name(s)": "artist_name",
    "artist name": "artist_name",
    "artist": "artist_name",
    "album uri": "album_uri",
    "album id": "album_uri",
    "album name": "album_name",
    "album": "album_name",
    "duration (ms)": "duration_ms",
    "track duration (ms)": "duration_ms",
    "duration_ms": "duration_ms",
}
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# A playlist file is read whole; Spotify caps a playlist at 10,000 tracks (~5 MB as an
# Exportify CSV), so a far larger file is refused from its size before it is read.
MAX_FILE_BYTES = 64 << 20
_LINK = re.compile(
    r"^https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(track|artist|album)/([0-9A-Za-z]{22})"
)


@dataclass(slots=True)
class PlaylistFile:
    """A playlist read from a file, ready for ``Library.import_playlists``."""

    playlist: Playlist
    tracks: list[TrackRow]
    sha256: str
    path: str


def spotify_uri(value: str, kind: str = "track") -> str | None:
    """Normalises a URI, an open.spotify.com link or a bare 22-char id; None if it is none."""
    text = value.strip()
    if text.startswith(f"spotify:{kind}:") and _ID.match(text[len(kind) + 9 :]):
        return text
    link = _LINK.match(text)
    if link and link.group(1) == kind:
        return f"spotify:{kind}:{link.group(2)}"
    if _ID.match(text):
        return f"spotify:{kind}:{text}"
    return None


def spotify_link(uri: str) -> str:
    """``spotify:track:ID`` -> ``https://open.spotify.com/track/ID``."""
    _, kind, ident = uri.split(":", 2)
    return f"https://open.spotify.com/{kind}/{ident}"


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        row = data.count(b"\n", 0, bad.start) + 1
        raise InputError(
            f"{path}, line {row}: not UTF-8 text (invalid byte 0x{data[bad.start]:02x} at byte "
            f"offset {bad.start}).",
            hint="Save the file as UTF-8 (most spreadsheet apps offer 'CSV UTF-8') and import it again.",
        ) from None


# -- CSV -------------------------------------------------------------------------------


def read_csv(path: str | Path) -> PlaylistFile:
    """Reads one CSV file as one playlist.

    Raises:
        InputError: unreadable, not UTF-8, no URI column, or a row whose URI is not a
            Spotify track (the message names the file and the row).
    """
    where = str(path)
    data = _read(path)
    text = _decode(data, where)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{where}: the file is empty.", hint="Export the playlist again.")
    columns = _columns(header)
    if "uri" not in columns and len(header) == 1 and ";" in header[0]:
        # Spreadsheets in many locales save "CSV" with semicolons; the header says so.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
        header = next(reader)
        columns = _columns(header)
    if "uri" not in columns:
        raise InputError(
            f"{where}, row 1: no track URI column (looked for 'Track URI', 'Spotify URI', 'URI' "
            f"or 'Spotify ID'; found {', '.join(repr(h) for h in header[:8])}).",
            hint="Export with Exportify, or add a 'Track URI' column of spotify:track:… URIs.",
        )
    uris: list[str] = []
    rows: dict[str, TrackRow] = {}
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank line

        def cell(key: str, cells: list[str] = cells) -> str:
            # Exactly as written: names may start or end with spaces ('Sultan + Shepard ').
            i = columns.get(key)
            return cells[i] if i is not None and i < len(cells) else ""

        raw = cell("uri").strip()
        uri = spotify_uri(raw)
        if uri is None:
            problem = (
                "is a local file, which the library cannot hold"
                if raw.startswith("spotify:local:")
                else "is not a Spotify track URI (spotify:track:<22 characters>)"
            )
            raise InputError(
                f"{where}, row {line_no}: {raw!r} {problem}.",
                hint="Fix or remove that row and import the file again.",
            )
        uris.append(uri)
        if uri not in rows:
            rows[uri] = _csv_track_row(uri, cell, where, line_no)
    if not uris:
        raise InputError(f"{where}: the file has a header but no tracks.")
    playlist = Playlist(
        name=Path(where).stem,
        track_uris=uris,
        source="file",
        source_ref=str(Path(where).resolve()),
    )
    return PlaylistFile(playlist, list(rows.values()), hashlib.sha256(data).hexdigest(), where)


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = _ALIASES.get(" ".join(cell.strip().lower().split()))
        if key and key not in columns:
            columns[key] = i
    return columns


def _csv_track_row(uri: str, cell, where: str, line_no: int) -> TrackRow:
    artist_uris = [u for u in cell("artist_uri").split(",") if u.strip()]
    artist_uri = (spotify_uri(artist_uris[0], "artist") or "") if artist_uris else ""
    artist_name = cell("artist_name")
    if len(artist_uris) > 1:
        # Exportify joins several artists with commas; keep the first (names can hold
        # commas too, so only split when the URIs say there are several).
        artist_name = artist_name.split(",")[0]
    album_uri = spotify_uri(cell("album_uri"), "album") or ""
    duration = cell("duration_ms").strip()
    try:
        duration_ms = int(float(duration)) if duration else 0
    except ValueError:
        raise InputError(
            f"{where}, row {line_no}: duration {duration!r} is not a number of milliseconds.",
            hint="Fix or clear that cell and import the file again.",
        ) from None
    return (uri, cell("name"), artist_uri, artist_name, album_uri, cell("album_name"), duration_ms)


def write_csv(path: str | Path, tracks: Sequence[Track]) -> None:
    """Writes tracks in Exportify's columns (UTF-8, header row), atomically."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for t in tracks:
        writer.writerow(
            [t.uri, t.name, t.artist_uri, t.artist_name, t.album_uri, t.album_name, t.duration_ms]
        )
    _write_atomic(path, buf.getvalue())


# -- M3U -------------------------------------------------------------------------------


def write_m3u(path: str | Path, tracks: Sequence[Track], *, links: bool = False) -> None:
    """Writes an extended M3U: ``#EXTINF:<seconds>,<artist> - <title>`` then the URI/link."""
    lines = ["#EXTM3U"]
    for t in tracks:
        seconds = round(t.duration_ms / 1000) if t.duration_ms else -1
        title = f"{t.artist_name} - {t.name}" if t.artist_name else (t.name or t.uri)
        lines.append(f"#EXTINF:{seconds},{_one_line(title)}")
        lines.append(spotify_link(t.uri) if links else t.uri)
    _write_atomic(path, "\n".join(lines) + "\n")


def read_m3u(path: str | Path) -> PlaylistFile:
    """Reads an M3U of Spotify URIs or open.spotify.com links (as :func:`write_m3u` writes).

    Raises:
        InputError: a non-comment line that is not a Spotify track URI or link.
    """
    where = str(path)
    data = _read(path)
    text = _decode(data, where)
    uris: list[str] = []
    rows: dict[str, TrackRow] = {}
    pending: tuple[int, str, str] | None = None
    # M3U lines end with LF, CRLF or CR; str.splitlines would also split on form feeds,
    # U+2028 and other characters a title may hold.
    for line_no, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.strip()
        if not line or line == "#EXTM3U":
            continue
        if line.startswith("#EXTINF:"):
            head, _, title = line[8:].partition(",")
            artist, sep, name = title.partition(" - ")
            if not sep:
                artist, name = "", title
            try:
                seconds = int(float(head))
            except ValueError:
                seconds = -1
            pending = (max(0, seconds) * 1000, artist.strip(), name.strip())
            continue
        if line.startswith("#"):
            continue
        uri = spotify_uri(line)
        if uri is None:
            raise InputError(
                f"{where}, line {line_no}: {line!r} is not a Spotify track URI or link.",
                hint="Only M3U files of spotify:track:… URIs or open.spotify.com links can be "
                "imported; fix or remove that line.",
            )
        uris.append(uri)
        if uri not in rows:
            duration, artist, name = pending or (0, "", "")
            rows[uri] = (uri, name, "", artist, "", "", duration)
        pending = None
    if not uris:
        raise InputError(f"{where}: no Spotify tracks in this playlist file.")
    playlist = Playlist(
        name=Path(where).stem, track_uris=uris, source="file", source_ref=str(Path(where).resolve())
    )
    return PlaylistFile(playlist, list(rows.values()), hashlib.sha256(data).hexdigest(), where)


def read_playlist_file(path: str | Path) -> PlaylistFile:
    """CSV or M3U, by extension (anything not .m3u/.m3u8 is read as CSV)."""
    if Path(path).suffix.lower() in (".m3u", ".m3u8"):
        return read_m3u(path)
    return read_csv(path)


# -- helpers ---------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Control characters and every other character some reader takes for a line break.
_NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """``text`` with control characters and line separators as spaces (one M3U line)."""
    return _NOT_IN_A_LINE.sub(" ", text)


def _read(path: str | Path) -> bytes:
    try:
        with Path(path).open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise InputError(
                    f"{path}: the file is {size / 2**20:,.0f} MiB, far larger than a playlist "
                    f"file (10,000 tracks are ~5 MB), so it was not read.",
                    hint="Check that this is the playlist you meant to import.",
                )
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.", hint="Check the path and try again.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}).") from exc


def _write_atomic(path: str | Path, text: str) -> None:
    """Writes next to the target and renames, so a failure never leaves half a file."""
    target = Path(path)
    remove_stale_temp_files(target.parent, target.name)  # left by a killed writer
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"{target}: cannot write the file ({exc.strerror}).",
            hint="Choose a folder you can write to.",
        ) from exc
