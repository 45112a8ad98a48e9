"""Fingerprints of a media file: Chromaprint audio sub-fingerprints and perceptual frame hashes.

Audio: ffmpeg's ``chromaprint`` muxer (in the imageio-ffmpeg build) writes raw little-endian uint32
sub-fingerprints, one every ``AUDIO_ITEM_SECONDS`` (≈ 0.124 s, ~8 a second). Picture: frames sampled
at ``FRAMES_PER_SECOND``, scaled by ffmpeg to 32×32 grey, hashed with a 64-bit pHash (the DCT
of ``imagehash.phash``). Framework-free: paths in, numpy arrays out.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import scipy.fft

AUDIO_ALGORITHM = "chromaprint2-raw"  # ffmpeg chromaprint muxer, algorithm 1 ("TEST2"), raw
PICTURE_ALGORITHM = "phash64-1fps"
# Chromaprint runs at 11025 Hz with a 4096-sample frame and 1/3 overlap: one item per 4096/3 samples.
AUDIO_ITEM_SECONDS = 4096 / 3 / 11025
# Each item summarises 16 consecutive frames, so n consecutive items cover n + 15 frames of audio.
AUDIO_ITEM_CONTEXT = 15
FRAMES_PER_SECOND = 1.0
FRAME_SIDE = 32
# A frame whose pHash has fewer set bits than this (or more than 64 minus this) is nearly flat
# (black, a single colour): it matches every other flat frame, so it is left out of matching.
FLAT_FRAME_BITS = 8
# Frames whose grey levels vary less than this (standard deviation, 0–255) are uniform.
FLAT_FRAME_STD = 2.0


class FingerprintError(Exception):
    def __init__(self, message: str, stderr_tail: str = ""):
        super().__init__(message)
        self.stderr_tail = stderr_tail


@dataclass
class Fingerprints:
    audio: np.ndarray  # uint32, one per AUDIO_ITEM_SECONDS
    frames: np.ndarray  # uint64, one per 1 / FRAMES_PER_SECOND
    duration_ms: int


def _run(cmd: list[str], timeout: float) -> bytes:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FingerprintError(f"ffmpeg timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise FingerprintError(f"ffmpeg exited with {done.returncode}", tail)
    return done.stdout


def has_stream(path: Path, kind: str) -> bool:
    """Whether ``path`` has an audio (``a``) or video (``v``) stream, asked of ffmpeg itself."""
    done = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    marker = {"a": "Audio:", "v": "Video:"}[kind]
    return any("Stream #" in line and marker in line for line in done.stderr.decode("utf-8", "replace").splitlines())


def audio_fingerprint(path: Path, *, timeout: float = 600) -> np.ndarray:
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1",
        "-f", "chromaprint", "-fp_format", "raw", "-algorithm", "1", "-",
    ]  # fmt: skip
    raw = _run(cmd, timeout)
    usable = len(raw) - len(raw) % 4
    return np.frombuffer(raw[:usable], dtype="<u4").astype(np.uint32)


def audio_fingerprint_pcm(pcm: bytes, *, rate: int, timeout: float = 600) -> np.ndarray:
    """Chromaprint of raw mono signed 16-bit little-endian samples at ``rate`` (no file needed)."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1",
        "-i", "-", "-f", "chromaprint", "-fp_format", "raw", "-algorithm", "1", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, input=pcm, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FingerprintError(f"ffmpeg timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise FingerprintError(f"ffmpeg exited with {done.returncode}", done.stderr.decode("utf-8", "replace")[-2000:])
    usable = len(done.stdout) - len(done.stdout) % 4
    return np.frombuffer(done.stdout[:usable], dtype="<u4").astype(np.uint32)


def _dct_matrix(n: int) -> np.ndarray:
    return scipy.fft.dct(np.eye(n), axis=0, norm=None)


_DCT = _dct_matrix(FRAME_SIDE)
_BIT_WEIGHTS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def phash_frames(pixels: np.ndarray) -> np.ndarray:
    """64-bit pHashes of ``pixels`` (n × 32 × 32 grey): top-left 8×8 of the 2-D DCT against its median."""
    if len(pixels) == 0:
        return np.zeros(0, dtype=np.uint64)
    data = pixels.astype(np.float64)
    dct = np.einsum("ij,njk,lk->nil", _DCT, data, _DCT)[:, :8, :8].reshape(len(pixels), 64)
    median = np.median(dct, axis=1, keepdims=True)
    bits = (dct > median).astype(np.uint64)
    hashes = (bits * _BIT_WEIGHTS).sum(axis=1, dtype=np.uint64)
    # A (nearly) uniform frame has no picture to hash: its DCT is rounding noise. It becomes 0, flat.
    hashes[data.reshape(len(pixels), -1).std(axis=1) < FLAT_FRAME_STD] = 0
    return hashes


def frame_hashes(path: Path, *, timeout: float = 600) -> np.ndarray:
    side = FRAME_SIDE
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-an",
        "-vf", f"fps={FRAMES_PER_SECOND},scale={side}:{side}:flags=area,format=gray",
        "-f", "rawvideo", "-pix_fmt", "gray", "-",
    ]  # fmt: skip
    raw = _run(cmd, timeout)
    count = len(raw) // (side * side)
    pixels = np.frombuffer(raw[: count * side * side], dtype=np.uint8).reshape(count, side, side)
    return phash_frames(pixels)


def fingerprint_file(path: Path) -> Fingerprints:
    """Both fingerprints of a media file (an empty array for a stream it lacks)."""
    path = Path(path)
    audio = audio_fingerprint(path) if has_stream(path, "a") else np.zeros(0, dtype=np.uint32)
    frames = frame_hashes(path) if has_stream(path, "v") else np.zeros(0, dtype=np.uint64)
    duration = max(
        (len(audio) + AUDIO_ITEM_CONTEXT) * AUDIO_ITEM_SECONDS if len(audio) else 0, len(frames) / FRAMES_PER_SECOND
    )
    return Fingerprints(audio=audio, frames=frames, duration_ms=int(round(duration * 1000)))


def popcount32(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values.astype(np.uint32)) if hasattr(np, "bitwise_count") else _popcount(values, 32)


def popcount64(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values.astype(np.uint64)) if hasattr(np, "bitwise_count") else _popcount(values, 64)


def _popcount(values: np.ndarray, bits: int) -> np.ndarray:
    as_bytes = values.astype(np.uint64 if bits == 64 else np.uint32).view(np.uint8)
    return np.unpackbits(as_bytes).reshape(len(values), bits).sum(axis=1)


def is_flat(hashes: np.ndarray) -> np.ndarray:
    ones = popcount64(hashes)
    return (ones < FLAT_FRAME_BITS) | (ones > 64 - FLAT_FRAME_BITS)
