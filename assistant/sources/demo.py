"""The synthetic demo catalog: invented playlists in MPD slice format.

The app opens on this catalog and the bundled checkpoint is trained on it, so it must be
*learnable*: playlists are themed (genres, moods, activities, decades), each draws mostly
from one to three themes, artists and albums belong to themes, artists repeat within a
playlist, and popularity follows a power law (a few hits, a long tail). Every name is
generated from word lists: there are no real songs, artists or albums in it, and the
``info`` block of each file says so.

``python -m assistant.sources.demo resources/demo`` (``make demo``) writes the same bytes
every time: one seeded :class:`random.Random` drives everything, in a fixed order.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20_261_123
N_PLAYLISTS = 2_000
PLAYLISTS_PER_FILE = 1_000
N_ARTISTS = 600
# Demo pids live far above the real MPD's (0..999,999) and its challenge set's, so real
# slices imported into a library that holds the demo never replace demo playlists.
PID_BASE = 9_000_000
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# 2015-01-01 .. 2017-10-31: within the real MPD's modified_at range.
TIME_START, TIME_END = 1_420_070_400, 1_509_494_400

# Theme -> playlist names people might give such a playlist (MPD names are casual).
THEMES: dict[str, list[str]] = {
    "rock": ["Rock", "rock", "Classic Rock", "rock on", "ROCK", "guitar heroes"],
    "indie": ["Indie", "indie", "indie vibes", "Indie Folk", "alt", "indie mix"],
    "hip hop": ["Hip Hop", "rap", "RAP", "hip hop", "bars", "rap mix"],
    "country": ["Country", "country", "country roads", "Country Jams", "twang"],
    "edm": ["EDM", "edm", "electronic", "drops", "Festival", "bass"],
    "house": ["House", "deep house", "house music", "Tropical House"],
    "jazz": ["Jazz", "jazz", "smooth jazz", "Jazz Night", "coffee jazz"],
    "classical": ["Classical", "classical", "piano", "Orchestra", "strings"],
    "metal": ["Metal", "metal", "METAL", "heavy", "Metalcore"],
    "punk": ["Punk", "pop punk", "punk rock", "emo", "emo night"],
    "pop": ["Pop", "pop", "top hits", "Pop Hits", "radio", "current hits"],
    "r&b": ["R&B", "rnb", "slow jams", "R&B Vibes", "soul"],
    "latin": ["Latin", "latin", "reggaeton", "Fiesta", "salsa"],
    "reggae": ["Reggae", "reggae", "island vibes", "Roots"],
    "folk": ["Folk", "folk", "acoustic", "Acoustic Covers", "campfire"],
    "blues": ["Blues", "blues", "delta", "Blues Rock"],
    "chill": ["Chill", "chill", "chill vibes", "Chillin", "relax", "lazy sunday"],
    "sad": ["sad", "Sad Songs", "feels", "rainy day", "heartbreak", "cry"],
    "happy": ["happy", "Good Vibes", "feel good", "sunshine", "smile"],
    "love": ["love", "Love Songs", "romance", "wedding", "date night"],
    "party": ["Party", "party", "pregame", "turn up", "Party Mix", "lit"],
    "workout": ["Workout", "gym", "GYM", "workout", "lifting", "cardio"],
    "running": ["Running", "run", "running mix", "5k", "Run Faster"],
    "study": ["Study", "study", "focus", "homework", "Study Time", "concentration"],
    "sleep": ["Sleep", "sleep", "sleepy", "bedtime", "night night"],
    "road trip": ["Road Trip", "road trip", "roadtrip", "driving", "car jams"],
    "summer": ["Summer", "summer", "summer 2017", "beach", "pool party"],
    "christmas": ["Christmas", "christmas", "Xmas", "holiday", "winter"],
    "80s": ["80s", "80's", "Eighties", "80s hits", "retro"],
    "90s": ["90s", "90's", "Nineties", "90s kid", "throwback"],
}
# Themes that often share a playlist (a workout playlist borrows from hip hop and edm...).
AFFINITY: dict[str, list[str]] = {
    "workout": ["hip hop", "edm", "metal", "pop"],
    "running": ["edm", "pop", "hip hop", "house"],
    "study": ["classical", "jazz", "chill", "indie"],
    "sleep": ["classical", "chill", "folk"],
    "party": ["pop", "hip hop", "edm", "latin", "house"],
    "road trip": ["rock", "country", "pop", "indie"],
    "summer": ["pop", "reggae", "house", "latin"],
    "chill": ["indie", "r&b", "house", "folk"],
    "sad": ["indie", "folk", "r&b", "punk"],
    "happy": ["pop", "reggae", "80s"],
    "love": ["r&b", "pop", "country"],
    "christmas": ["pop", "jazz", "classical"],
    "80s": ["rock", "pop"],
    "90s": ["hip hop", "r&b", "rock", "pop"],
}


def _words(text: str) -> list[str]:
    return text.split()


DECORATIONS = ["", "", "", "", " 2017", " mix", " playlist", "!!", " :)", " vibes", " 🔥"]

ADJECTIVES = _words(
    "Amber Blue Broken Burning Quiet Golden Hollow Electric Silver Velvet Wild Paper Neon "
    "Crimson Silent Lonely Restless Northern Sweet Bitter Midnight Distant Faded Endless Open "
    "Secret Frozen Little Heavy Bright Gentle Crooked Rusty Lucky Violet Glass Summer Winter "
    "Copper Painted Sleepy Magnetic Careless Tender Savage Ordinary Hidden Falling Rolling"
)
NOUNS = _words(
    "Harbor Lanterns Highway River Echo Garden Satellite Horizon Window Mirror Thunder Orchard "
    "Lighthouse Canyon Ocean Comet Parade Shadow Machine Heart Island Signal Station Avenue "
    "Feather Static Meadow Ember Tide Valley Motel Arcade Compass Carousel Pilot Anthem Fever "
    "Harvest Kingdom Rocket Sparrow Wolves Diamonds Letters Postcards Streetlights Daydream"
)
VERBS = _words(
    "Running Waiting Dancing Falling Chasing Drifting Holding Breaking Calling Fading "
    "Burning Leaving Coming Home Flying Dreaming Hiding Turning Counting Shining"
)
SYLLABLES = _words(
    "ka lo mi ra ve no sa ti lu be da ren mor vin el an is tor qua zel fen ori mal dex "
    "ny ko ra sol tem ar vel ju pri sta lin go ha we"
)
BAND_NOUNS = _words(
    "Foxes Tigers Owls Satellites Lanterns Comets Rivers Machines Ghosts Sparrows Echoes "
    "Wolves Pilots Mirrors Strangers Giants Animals Cowboys Kids Hearts Engines Saints"
)


@dataclass(slots=True)
class _Track:
    uri: str
    name: str
    artist: _Artist
    album_uri: str
    album_name: str
    duration_ms: int


@dataclass(slots=True)
class _Artist:
    uri: str
    name: str
    theme: str
    tracks: list[_Track]
    cum_weights: list[float]  # power-law: the first tracks are the artist's hits


class _Generator:
    """Builds the catalog, then the playlists, drawing from one seeded RNG in order."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_names: set[str] = set()

    # -- names and ids -----------------------------------------------------------------

    def uid(self) -> str:
        while True:
            value = "".join(self.rng.choices(BASE62, k=22))
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def person(self) -> str:
        rng = self.rng
        first = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).capitalize()
        last = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).capitalize()
        return f"{first} {last}"

    def artist_name(self) -> str:
        rng = self.rng
        while True:
            style = rng.random()
            if style < 0.4:
                name = self.person()
            elif style < 0.7:
                name = f"The {rng.choice(ADJECTIVES)} {rng.choice(BAND_NOUNS)}"
            elif style < 0.85:
                name = f"{rng.choice(NOUNS)} {rng.choice(BAND_NOUNS)}"
            else:
                name = "".join(rng.choices(SYLLABLES, k=2)).upper()
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def title(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.35:
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        elif style < 0.55:
            name = f"{rng.choice(VERBS)} {rng.choice(['for', 'to', 'from', 'with'])} the {rng.choice(NOUNS)}"
        elif style < 0.75:
            name = rng.choice(NOUNS)
        elif style < 0.9:
            name = f"{rng.choice(NOUNS)} of {rng.choice(NOUNS)}"
        else:
            name = f"{rng.choice(VERBS)}"
        if rng.random() < 0.06:
            name += rng.choice([" (Live)", " - Remastered", " (Acoustic)", " - Radio Edit"])
        return name

    # -- catalog -----------------------------------------------------------------------

    def catalog(self) -> dict[str, list[_Artist]]:
        rng = self.rng
        themes = list(THEMES)
        by_theme: dict[str, list[_Artist]] = {t: [] for t in themes}
        for i in range(N_ARTISTS):
            theme = themes[i % len(themes)]
            artist = _Artist(f"spotify:artist:{self.uid()}", self.artist_name(), theme, [], [])
            n_albums = rng.choices([1, 2, 3, 4], weights=[3, 4, 2, 1])[0]
            for _ in range(n_albums):
                album_uri = f"spotify:album:{self.uid()}"
                album_name = self.title() if rng.random() < 0.8 else artist.name
                for _ in range(rng.randint(3, 8)):
                    artist.tracks.append(
                        _Track(
                            f"spotify:track:{self.uid()}",
                            self.title(),
                            artist,
                            album_uri,
                            album_name,
                            rng.randint(110_000, 380_000),
                        )
                    )
            # Shuffle so hits spread across albums, then weight the track list by 1/rank.
            rng.shuffle(artist.tracks)
            artist.cum_weights = _cumulative(
                [1.0 / (r + 1) ** 0.7 for r in range(len(artist.tracks))]
            )
            by_theme[theme].append(artist)
        return by_theme

    # -- playlists ---------------------------------------------------------------------

    def playlists(self, by_theme: dict[str, list[_Artist]]) -> list[dict]:
        rng = self.rng
        themes = list(THEMES)
        # Popularity of themes and of artists within a theme: power laws.
        theme_cum = _cumulative([1.0 / (r + 1) ** 0.6 for r in range(len(themes))])
        artist_cum = {
            t: _cumulative([1.0 / (r + 1) ** 0.9 for r in range(len(a))])
            for t, a in by_theme.items()
        }
        out = []
        for pid in range(N_PLAYLISTS):
            primary = rng.choices(themes, cum_weights=theme_cum)[0]
            mix = [primary]
            if rng.random() < 0.55:
                friends = AFFINITY.get(primary) or themes
                mix.append(rng.choice(friends))
                if rng.random() < 0.3:
                    mix.append(rng.choices(themes, cum_weights=theme_cum)[0])
            mix_weights = [0.65, 0.25, 0.10][: len(mix)]
            length = int(min(60, max(5, rng.lognormvariate(2.6, 0.5))))
            chosen: list[_Track] = []
            seen: set[str] = set()
            artists_here: list[_Artist] = []
            tries = 0
            while len(chosen) < length and tries < length * 20:
                tries += 1
                theme = rng.choices(mix, weights=mix_weights)[0]
                if artists_here and rng.random() < 0.35:
                    artist = rng.choice(artists_here)
                else:
                    artist = rng.choices(by_theme[theme], cum_weights=artist_cum[theme])[0]
                track = rng.choices(artist.tracks, cum_weights=artist.cum_weights)[0]
                if track.uri in seen:
                    continue
                seen.add(track.uri)
                chosen.append(track)
                artists_here.append(artist)
            out.append(self._playlist(pid, primary, mix, chosen))
        return out

    def _playlist(self, pid: int, primary: str, mix: list[str], tracks: list[_Track]) -> dict:
        rng = self.rng
        name = rng.choice(THEMES[primary])
        if len(mix) > 1 and rng.random() < 0.25:
            name = f"{name} + {rng.choice(THEMES[mix[1]]).lower()}"
        name += rng.choice(DECORATIONS)
        playlist: dict = {
            "name": name,
            "collaborative": "true" if rng.random() < 0.03 else "false",
            "pid": PID_BASE + pid,
            "modified_at": rng.randint(TIME_START, TIME_END),
            "num_tracks": len(tracks),
            "num_albums": len({t.album_uri for t in tracks}),
            "num_followers": min(5_000, int(rng.paretovariate(1.6))),
        }
        if rng.random() < 0.08:
            playlist["description"] = f"synthetic demo playlist: {', '.join(mix)}"
        playlist["tracks"] = [
            {
                "pos": pos,
                "artist_name": t.artist.name,
                "track_uri": t.uri,
                "artist_uri": t.artist.uri,
                "track_name": t.name,
                "album_uri": t.album_uri,
                "duration_ms": t.duration_ms,
                "album_name": t.album_name,
            }
            for pos, t in enumerate(tracks)
        ]
        playlist["num_edits"] = rng.randint(1, 30)
        playlist["duration_ms"] = sum(t.duration_ms for t in tracks)
        playlist["num_artists"] = len({t.artist.uri for t in tracks})
        return playlist


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def generate(seed: int = SEED) -> list[dict]:
    """All demo playlists as MPD playlist dicts, in pid order."""
    gen = _Generator(seed)
    return gen.playlists(gen.catalog())


def slice_name(first: int, last: int) -> str:
    return f"mpd.slice.demo-{first}-{last}.json"


def write_demo(out_dir: str | Path, seed: int = SEED) -> list[Path]:
    """Writes the demo slices (compact JSON, same bytes for the same seed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    playlists = generate(seed)
    paths = []
    for first in range(0, len(playlists), PLAYLISTS_PER_FILE):
        chunk = playlists[first : first + PLAYLISTS_PER_FILE]
        last = first + len(chunk) - 1
        doc = {
            "info": {
                "slice": f"demo-{first}-{last}",
                "version": "synthetic-v1",
                "generated_by": "assistant.sources.demo",
                "seed": seed,
                "pids": f"{PID_BASE + first}-{PID_BASE + last}",
                "note": "SYNTHETIC demo catalog: every playlist, track, artist and album name "
                "and every URI is invented from word lists and a seeded random generator. "
                "No real songs; not part of the Million Playlist Dataset.",
            },
            "playlists": chunk,
        }
        path = out / slice_name(first, last)
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        path.write_bytes(text.encode("utf-8") + b"\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path("resources/demo")
    for path in write_demo(out_dir):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
