"""Framework-free helpers for video processing (ffmpeg, probing, HLS ladder planning)."""
