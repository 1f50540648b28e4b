"""Playlist Assistant: browse and extend playlists with an explainable graph neural network."""

__version__ = "0.1.0"
