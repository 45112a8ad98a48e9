"""Framework-free helpers for posts: time-ordered ids, text entity parsing, image processing."""
