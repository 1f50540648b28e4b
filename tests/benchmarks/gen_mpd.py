"""Full-size synthetic Million Playlist Dataset slices, deterministic by seed.

Each slice is a file ``mpd.slice.<first>-<last>.json`` in the MPD schema the importer
validates (``info`` + 1,000 playlists, every track entry with ``pos``, ``artist_name``,
``track_uri``, ``artist_uri``, ``track_name``, ``album_uri``, ``duration_ms``,
``album_name``). The data is invented but shaped like the real thing, so it loads the code
as the real dataset would:

- a catalog of 3M tracks whose popularity follows a shifted power law
  (p(rank) ∝ (rank + 600)^-1.3), artists owning contiguous runs of tracks of similar
  popularity (run lengths power-law, 1–500) and albums as runs within an artist;
- measured over 1,000 slices (the MPD's figures in brackets): 68.5M entries (66.3M),
  2.33M distinct tracks (2.26M), 242k artists (296k), 964k albums (735k), the top track
  in 72.6k playlists (46.6k); one slice: ~33k distinct tracks (real slices: ~34k);
- 48 "genres": each track, artist and playlist has one; a playlist draws 55% of its
  entries from its genre, 25% from the whole catalog and 20% from the artists already in
  it, so co-occurrence has structure a recommender can learn;
- playlist lengths log-normal clipped to 5–250 (mean 68.5, median 51; the MPD: mean 66.3,
  the real 1,000-playlist sample: mean 61.8, median 45), no
  duplicate track within a playlist; names from a vocabulary of real MPD-style titles
  tied to the playlist's genre; track/artist/album names from word lists;
- URIs are valid 22-character base-62 Spotify ids, unique per track/artist/album.

Slice ``i`` depends only on ``(seed, i)``: any range can be generated alone (``--start``),
which is how the import benchmark makes 1,000 slices 100 at a time.

    python tests/benchmarks/gen_mpd.py --slices 100 --out /tmp/mpd [--start 0] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CATALOG = 3_000_000
POWER = 1.3
SHIFT = 600.0
GENRES = 48
PLAYLISTS_PER_SLICE = 1000
MIX = (0.55, 0.25, 0.20)  # genre, whole catalog, an artist already in the playlist
BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)

GENRE_NAMES = [
    "pop", "rock", "hip hop", "rap", "country", "indie", "edm", "house", "r&b", "soul",
    "jazz", "blues", "metal", "punk", "emo", "folk", "classical", "reggae", "latin",
    "reggaeton", "k-pop", "disney", "christmas", "worship", "gospel", "oldies", "80s",
    "90s", "2000s", "throwback", "chill", "study", "sleep", "workout", "running", "gym",
    "party", "summer", "road trip", "wedding", "acoustic", "alternative", "grunge", "funk",
    "disco", "techno", "trap", "lo-fi",
]  # fmt: skip
NAME_EXTRAS = [
    "", "", "", "", " vibes", " jams", " mix", " playlist", " songs", " music", " 2017",
    " 2016", " tunes", " ❤️", " 🔥", "!!", " hits", " stuff", " faves", " classics",
]  # fmt: skip
COMMON_NAMES = [
    "chill", "workout", "party", "summer", "country", "rock", "rap", "christmas", "throwback",
    "oldies", "feels", "lit", "vibes", "good stuff", "random", "my music", "jams", "new",
    "music", "road trip", "sleep", "study", "gym", "running", "pump up", "car", "happy",
    "sad", "mood", "favorites", "songs", "wedding", "dance", "relax", "beach", "love",
]  # fmt: skip
WORDS = [
    "love", "night", "summer", "heart", "fire", "dream", "baby", "time", "light", "road",
    "home", "river", "rain", "blue", "gold", "wild", "young", "forever", "alone", "sky",
    "city", "girl", "boy", "dance", "party", "money", "life", "world", "star", "moon",
    "sun", "ocean", "shadow", "ghost", "angel", "devil", "paradise", "fever", "magic",
    "sugar", "honey", "midnight", "morning", "tonight", "yesterday", "tomorrow", "crazy",
    "lonely", "broken", "golden", "electric", "sweet", "dark", "bright", "lost", "free",
    "high", "low", "fast", "slow", "hold", "run", "fall", "rise", "stay", "go", "come",
    "back", "down", "up", "over", "again", "never", "always", "together", "apart", "hands",
    "eyes", "mind", "soul", "body", "kiss", "fade", "burn", "shine", "break", "wonder",
    "echo", "thunder", "storm", "winter", "spring", "autumn", "highway", "street", "kings",
    "queens", "rebel", "hero", "stranger", "lover", "friend", "memories", "secrets",
    "stories", "colors", "waves", "roses", "diamonds", "bones", "wolves", "lions", "birds",
    "horses", "dreamer", "believer", "runaway", "hurricane", "tequila", "whiskey", "coffee",
    "cigarettes", "california", "texas", "london", "tokyo", "paris", "brooklyn", "atlanta",
    "nashville", "memphis", "yeah", "oh", "hey", "la", "na", "feel", "want", "need",
    "know", "say", "tell", "talk", "walk", "ride", "drive", "fly", "sing", "cry", "smile",
    "wait", "call", "touch", "miss", "remember", "forget", "believe", "pray", "live",
]  # fmt: skip
FIRST = [
    "james", "john", "taylor", "ariana", "drake", "kanye", "chris", "justin", "selena",
    "miley", "luke", "sam", "ed", "bruno", "katy", "kelly", "jason", "blake", "carrie",
    "kenny", "tim", "zac", "lana", "billie", "shawn", "post", "travis", "nicki", "frank",
    "jack", "ben", "lil", "young", "big", "dj", "mc", "los", "el", "la", "maria",
]  # fmt: skip
LAST = [
    "smith", "brown", "swift", "grande", "west", "bieber", "gomez", "cyrus", "bryan", "hunt",
    "sheeran", "mars", "perry", "clarkson", "aldean", "shelton", "underwood", "chesney",
    "mcgraw", "brown", "del rey", "eilish", "mendes", "malone", "scott", "minaj", "ocean",
    "johnson", "harper", "white", "black", "rivers", "stone", "wood", "king", "young",
]  # fmt: skip
SUFFIX = [
    "", "", "", "", "", "", " - Remastered", " - Radio Edit", " - Live", " - Acoustic",
    " (feat. Lil Yeah)", " - Remix", " - Remastered 2011", " (Original Mix)",
]  # fmt: skip
ALBUM_FORMS = ["{}", "{}", "{}", "{} (Deluxe Edition)", "Greatest Hits", "Live at the {}"]


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of ``x ^ salt``: a bijection on uint64, so distinct inputs never collide."""
    z = (x.astype(np.uint64) ^ np.uint64(salt)) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) & _M64


def _uris(kind: str, ids: np.ndarray, salt: int) -> list[str]:
    """22-character base-62 ids: 11 digits of a bijective hash of the id (so unique) and
    11 of a second hash (so they look random)."""
    h1, h2 = _mix(ids, salt), _mix(ids, salt + 1)
    digits = np.empty((len(ids), 22), np.uint8)
    for j in range(11):  # least significant first: the fixed-width digits stay unique
        digits[:, 2 * j] = BASE62[(h1 % np.uint64(62)).astype(np.intp)]
        digits[:, 2 * j + 1] = BASE62[(h2 % np.uint64(62)).astype(np.intp)]
        h1, h2 = h1 // np.uint64(62), h2 // np.uint64(62)
    prefix = f"spotify:{kind}:"
    return [prefix + s for s in digits.view("S22").ravel().astype(str)]


def _pick(words: list[str], ids: np.ndarray, salt: int) -> list[str]:
    return [words[i] for i in (_mix(ids, salt) % np.uint64(len(words))).astype(np.intp)]


def _titles(ids: np.ndarray, salt: int) -> list[str]:
    """1–4 capitalised words per id, from the word list."""
    n_words = (_mix(ids, salt) % np.uint64(4)).astype(np.intp) + 1
    parts = [_pick(WORDS, ids, salt + 10 + j) for j in range(4)]
    return [" ".join(parts[j][i] for j in range(k)).title() for i, k in enumerate(n_words.tolist())]


@dataclass
class Catalog:
    """The invented catalog: per track (index = popularity rank) its genre, artist, album.

    Attributes:
        artist: artist id per track.
        album: album id per track.
        duration: duration in ms per track.
        genre_tracks: per genre, its track ids by popularity rank.
        by_artist: track ids sorted by artist; ``artist_start[a]`` indexes the first.
        artist_start: CSR offsets into ``by_artist`` (length artists + 1).
        cdf: per global rank, the cumulative draw probability.
        genre_cdf: the same over a genre's ``genre_tracks``.
    """

    artist: np.ndarray
    album: np.ndarray
    duration: np.ndarray
    genre_tracks: list[np.ndarray]
    by_artist: np.ndarray
    artist_start: np.ndarray
    cdf: np.ndarray
    genre_cdf: np.ndarray

    @classmethod
    def build(cls, seed: int) -> Catalog:
        rng = np.random.default_rng([seed, 1_000_003])
        weights = (np.arange(CATALOG, dtype=np.float64) + SHIFT) ** -POWER
        cdf = np.cumsum(weights)
        cdf /= cdf[-1]
        genre_size = CATALOG // GENRES
        gw = (np.arange(genre_size, dtype=np.float64) + SHIFT / GENRES) ** -POWER
        genre_cdf = np.cumsum(gw)
        genre_cdf /= genre_cdf[-1]
        artist = np.empty(CATALOG, np.int64)
        album = np.empty(CATALOG, np.int64)
        genre_tracks = []
        next_artist = next_album = 0
        for g in range(GENRES):
            tracks = np.arange(g, CATALOG, GENRES)[:genre_size]
            # An artist's tracks are of similar popularity: runs over a noisy rank order.
            key = np.log1p(np.arange(len(tracks))) + rng.normal(0.0, 1.0, len(tracks))
            order = tracks[np.argsort(key, kind="stable")]
            sizes = np.minimum(500, np.floor(rng.pareto(1.1, len(tracks)) * 2.5) + 1)
            ends = np.cumsum(sizes.astype(np.int64))
            n_artists = int(np.searchsorted(ends, len(order))) + 1
            owner = np.searchsorted(ends[:n_artists], np.arange(len(order)), side="right")
            artist[order] = owner + next_artist
            # Albums: an artist's run cut where a coin (p = 0.3) or the artist changes.
            cut = np.ones(len(order), bool)
            cut[1:] = (owner[1:] != owner[:-1]) | (rng.random(len(order) - 1) < 0.3)
            album[order] = np.cumsum(cut) - 1 + next_album
            next_artist += n_artists
            next_album += int(cut.sum())
            genre_tracks.append(tracks)
        artist[GENRES * genre_size :] = next_artist  # the few left over by the division
        album[GENRES * genre_size :] = next_album
        by_artist = np.argsort(artist, kind="stable")
        artist_start = np.searchsorted(artist[by_artist], np.arange(next_artist + 2))
        duration = (rng.lognormal(12.3, 0.25, CATALOG)).astype(np.int64).clip(30_000, 900_000)
        return cls(artist, album, duration, genre_tracks, by_artist, artist_start, cdf, genre_cdf)


def _fragments(cat: Catalog, tracks: np.ndarray, salt: int) -> dict[int, bytes]:
    """The JSON of each track entry after ``"pos":N,`` (identical wherever it appears)."""
    import orjson  # JSON slices only: the GPU check's training arrays need none

    artists, albums = cat.artist[tracks], cat.album[tracks]
    t_uri = _uris("track", tracks, salt + 100)
    a_uri = _uris("artist", artists, salt + 200)
    b_uri = _uris("album", albums, salt + 300)
    t_name = [
        t + s
        for t, s in zip(_titles(tracks, salt + 400), _pick(SUFFIX, tracks, salt + 500), strict=True)
    ]
    first, last = _pick(FIRST, artists, salt + 600), _pick(LAST, artists, salt + 700)
    band = _titles(artists, salt + 800)
    form = (_mix(artists, salt + 900) % np.uint64(3)).tolist()
    a_name = [
        f"{f} {la}".title() if k == 0 else (f"The {b}s" if k == 1 else b)
        for f, la, b, k in zip(first, last, band, form, strict=True)
    ]
    album_form = _pick(ALBUM_FORMS, albums, salt + 1000)
    b_title = _titles(albums, salt + 1100)
    b_name = [f.format(t) for f, t in zip(album_form, b_title, strict=True)]
    durations = cat.duration[tracks].tolist()
    out = {}
    for i, t in enumerate(tracks.tolist()):
        body = orjson.dumps(
            {
                "artist_name": a_name[i],
                "track_uri": t_uri[i],
                "artist_uri": a_uri[i],
                "track_name": t_name[i],
                "album_uri": b_uri[i],
                "duration_ms": durations[i],
                "album_name": b_name[i],
            }
        )
        out[t] = body[1:]  # without the opening brace: the entry starts with "pos"
    return out


def slice_playlists(
    cat: Catalog, index: int, seed: int
) -> tuple[list[np.ndarray], np.ndarray, np.random.Generator]:
    """The playlists of slice ``index`` as catalog track ids (in playlist order), each
    playlist's genre, and the slice's generator (for the rest of its fields)."""
    rng = np.random.default_rng([seed, index])
    n_pl = PLAYLISTS_PER_SLICE
    lengths = np.clip(rng.lognormal(3.95, 0.8, n_pl), 5, 250).astype(np.int64)
    genre_pop = 1.0 / (np.arange(GENRES) + 3.0)
    genres = rng.choice(GENRES, n_pl, p=genre_pop / genre_pop.sum())
    # Oversample 40% so that removing repeats still leaves the wanted length.
    draws = (lengths * 1.4).astype(np.int64) + 4
    total = int(draws.sum())
    owner = np.repeat(np.arange(n_pl), draws)
    kind = rng.choice(3, total, p=MIX)
    u = rng.random(total)
    from_catalog = np.searchsorted(cat.cdf, u).clip(0, CATALOG - 1)
    g_of = genres[owner]
    local = np.searchsorted(cat.genre_cdf, u).clip(0, len(cat.genre_cdf) - 1)
    from_genre = local * GENRES + g_of
    base = np.where(kind == 0, from_genre, from_catalog)
    # "More by an artist already here": the artist of the previous draw of the playlist.
    prev = np.roll(base, 1)
    a = cat.artist[prev]
    start, count = cat.artist_start[a], cat.artist_start[a + 1] - cat.artist_start[a]
    same_artist = cat.by_artist[start + (rng.random(total) * count).astype(np.int64)]
    first_of_playlist = np.zeros(total, bool)
    first_of_playlist[np.cumsum(draws) - draws] = True
    chosen = np.where((kind == 2) & ~first_of_playlist, same_artist, base)

    bounds = np.concatenate([[0], np.cumsum(draws)])
    lists = []
    for p in range(n_pl):
        seq = chosen[bounds[p] : bounds[p + 1]]
        _, first = np.unique(seq, return_index=True)
        lists.append(seq[np.sort(first)][: lengths[p]])
    return lists, genres, rng


def playlist_names(
    genres: np.ndarray, rng: np.random.Generator, pid0: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """The names of a slice's playlists (pids ``pid0`` …), drawn from the slice's generator
    right after :func:`slice_playlists`, and the draw that chose each name's form (it also
    decides "collaborative" and the description)."""
    n_pl = len(genres)
    name_pick = rng.random(n_pl)
    common = _pick(COMMON_NAMES, np.arange(pid0, pid0 + n_pl), seed + 1)
    extra = _pick(NAME_EXTRAS, np.arange(pid0, pid0 + n_pl), seed + 2)
    names = []
    for p in range(n_pl):
        if name_pick[p] < 0.5:
            names.append(GENRE_NAMES[genres[p]] + extra[p])
        elif name_pick[p] < 0.8:
            names.append(common[p] + extra[p])
        else:
            names.append(common[p].title())
    return names, name_pick


def make_slice(cat: Catalog, index: int, seed: int) -> tuple[bytes, int]:
    """The bytes of slice ``index`` (pids ``index*1000`` …) and its number of entries."""
    import orjson

    lists, genres, rng = slice_playlists(cat, index, seed)
    n_pl = len(lists)
    used = np.unique(np.concatenate(lists))
    frag = _fragments(cat, used, seed)

    pid0 = index * n_pl
    names, name_pick = playlist_names(genres, rng, pid0, seed)
    followers = np.minimum(rng.pareto(1.5, n_pl).astype(np.int64) + 1, 50_000)
    modified = rng.integers(1_262_304_000, 1_509_494_400, n_pl)  # 2010 … Oct 2017
    edits = np.minimum(rng.geometric(0.08, n_pl), 200)
    playlists = []
    entries = 0
    for p, seq in enumerate(lists):
        ids = seq.tolist()
        entries += len(ids)
        tracks = b"[" + b",".join(b'{"pos":%d,%s' % (i, frag[t]) for i, t in enumerate(ids)) + b"]"
        playlist = {
            "name": names[p],
            "collaborative": "true" if name_pick[p] > 0.978 else "false",
            "pid": pid0 + p,
            "modified_at": int(modified[p]) // 86400 * 86400,
            "num_tracks": len(ids),
            "num_albums": len(set(cat.album[seq].tolist())),
            "num_followers": int(followers[p]),
            "tracks": orjson.Fragment(tracks),
            "num_edits": int(edits[p]),
            "duration_ms": int(cat.duration[seq].sum()),
            "num_artists": len(set(cat.artist[seq].tolist())),
        }
        if name_pick[p] < 0.02:
            playlist["description"] = f"my {GENRE_NAMES[genres[p]]} songs"
        playlists.append(playlist)
    doc = {
        "info": {
            "generated_on": "synthetic",
            "slice": f"{pid0}-{pid0 + n_pl - 1}",
            "version": f"gen_mpd seed {seed}",
        },
        "playlists": playlists,
    }
    return orjson.dumps(doc), entries


def _slices_rows(
    cat: Catalog, first: int, count: int, seed: int
) -> tuple[list[np.ndarray], list[str]]:
    """The playlists (catalog track ids) and names of slices ``first … first+count-1``."""
    rows: list[np.ndarray] = []
    names: list[str] = []
    for index in range(first, first + count):
        lists, genres, rng = slice_playlists(cat, index, seed)
        rows += lists
        names += playlist_names(genres, rng, index * PLAYLISTS_PER_SLICE, seed)[0]
    return rows, names


def _worker_rows(args: tuple[int, int, int]) -> tuple[list[np.ndarray], list[str]]:
    first, count, seed = args
    return _slices_rows(Catalog.build(seed), first, count, seed)


@dataclass
class TrainingArrays:
    """The first N slices as a training graph needs them, without JSON or a library.

    Attributes:
        indptr / indices: CSR playlist × track matrix, tracks renumbered 0..n_tracks-1 in
            catalog order, each row in playlist order.
        used: the catalog id of each column.
        names: each playlist's name (as in the slice files).
        artist / album: the catalog artist and album id of each column.
    """

    indptr: np.ndarray
    indices: np.ndarray
    used: np.ndarray
    names: list[str]
    artist: np.ndarray
    album: np.ndarray


def training_arrays(
    slices: int, seed: int = 0, catalog: Catalog | None = None, workers: int = 1
) -> TrainingArrays:
    """The first ``slices`` slices' playlists, names and track artists/albums: what
    training benchmarks load (the importer gives a real library the same, by URI)."""
    cat = catalog if catalog is not None else Catalog.build(seed)
    if workers > 1 and slices >= 2 * workers:  # the whole MPD: ~0.2 s a slice on one core
        from concurrent.futures import ProcessPoolExecutor

        per = -(-slices // workers)
        parts = [(i, min(per, slices - i), seed) for i in range(0, slices, per)]
        rows: list[np.ndarray] = []
        names: list[str] = []
        with ProcessPoolExecutor(len(parts)) as pool:
            for part_rows, part_names in pool.map(_worker_rows, parts):
                rows += part_rows
                names += part_names
    else:
        rows, names = _slices_rows(cat, 0, slices, seed)
    flat = np.concatenate(rows)
    used, columns = np.unique(flat, return_inverse=True)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    return TrainingArrays(
        indptr, columns.astype(np.int64), used, names, cat.artist[used], cat.album[used]
    )


def slice_name(index: int) -> str:
    first = index * PLAYLISTS_PER_SLICE
    return f"mpd.slice.{first}-{first + PLAYLISTS_PER_SLICE - 1}.json"


def generate(
    out: Path, slices: int, *, start: int = 0, seed: int = 0, catalog: Catalog | None = None
) -> tuple[list[Path], int]:
    """Writes slices ``start … start+slices-1`` into ``out``; returns the files and entries."""
    out.mkdir(parents=True, exist_ok=True)
    cat = catalog if catalog is not None else Catalog.build(seed)
    paths, entries = [], 0
    for index in range(start, start + slices):
        data, n = make_slice(cat, index, seed)
        path = out / slice_name(index)
        path.write_bytes(data)
        paths.append(path)
        entries += n
    return paths, entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, required=True, help="how many slice files")
    parser.add_argument("--out", type=Path, required=True, help="folder to write them to")
    parser.add_argument("--start", type=int, default=0, help="index of the first slice")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    cat = Catalog.build(args.seed)
    built = time.perf_counter()
    paths, entries = generate(args.out, args.slices, start=args.start, seed=args.seed, catalog=cat)
    done = time.perf_counter()
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{len(paths)} slices, {entries:,} entries, {size / 1e6:,.0f} MB in {args.out} — "
        f"catalog {built - began:.1f} s, slices {done - built:.1f} s "
        f"({(done - built) / max(1, len(paths)):.2f} s each)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
