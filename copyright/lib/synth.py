"""Synthetic music and videos for tests and the benchmark: ffmpeg lavfi ``aevalsrc`` melodies.

A seed picks a melody (notes of a pentatonic scale, a bass line, note lengths) written as one
``aevalsrc`` expression; noise is mixed in with ``anoisesrc``. Different seeds give unrelated music,
the same seed the same music. Framework-free.
"""

import random
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np


def melody_expression(seed: int) -> str:
    """One ``aevalsrc`` expression, O(1) a sample: a pentatonic lead and bass picked per note by a hash.

    Note ``n = floor(t * tempo)``; its scale degree is a hash of ``n`` and the seed (the classic
    ``fract(sin(x) * 43758.5453)``), so a seed is a melody of any length, and other seeds other ones.
    """
    rng = random.Random(seed)
    base = rng.uniform(180.0, 330.0)
    tempo = rng.choice([3, 4, 5, 6])
    a, b, c = (rng.uniform(1.0, 100.0) for _ in range(3))
    note = f"floor(t*{tempo})"
    onset = f"(t-{note}/{tempo})"

    def degree(salt: float) -> str:
        y = f"abs(sin({note}*{a:.4f}+{salt:.4f})*43758.5453)"
        k = f"floor(5*({y}-floor({y})))"
        return f"(2*{k}+gte({k},3))"

    lead = f"{base:.2f}*pow(2,{degree(b)}/12+floor(2*abs(sin({note}*{c:.4f}))))"
    bass = f"{base / 2:.2f}*pow(2,{degree(c)}/12)"
    envelope = f"(1-exp(-60*{onset}))*exp(-4*{onset})"
    return f"({0.5}*sin(2*PI*{lead}*t)+0.3*sin(2*PI*{bass}*t))*{envelope}"


def melody_samples(seed: int, seconds: float, rate: int = 11025, start: float = 0.0) -> "np.ndarray":
    """The same melody as ``melody_expression(seed)``, computed with numpy (the benchmark makes hours
    of it; ffmpeg evaluating the expression per sample is ~25× real time). Float32 in [-1, 1]."""
    rng = random.Random(seed)
    base = rng.uniform(180.0, 330.0)
    tempo = rng.choice([3, 4, 5, 6])
    a, b, c = (rng.uniform(1.0, 100.0) for _ in range(3))
    t = start + np.arange(int(seconds * rate), dtype=np.float64) / rate
    note_of_sample = np.floor(t * tempo)
    first = int(note_of_sample[0]) if len(t) else 0
    notes = np.arange(first, int(note_of_sample[-1]) + 1 if len(t) else first, dtype=np.float64)

    def degree(salt: float) -> np.ndarray:  # per note, not per sample
        y = np.abs(np.sin(notes * round(a, 4) + round(salt, 4)) * 43758.5453)
        k = np.floor(5 * (y - np.floor(y)))
        return 2 * k + (k >= 3)

    lead_of_note = round(base, 2) * 2 ** (degree(b) / 12 + np.floor(2 * np.abs(np.sin(notes * round(c, 4)))))
    bass_of_note = round(base / 2, 2) * 2 ** (degree(c) / 12)
    which = (note_of_sample - first).astype(np.int64)
    onset = (t - note_of_sample / tempo).astype(np.float32)
    phase_lead = (2 * np.pi * lead_of_note[which] * t).astype(np.float32)
    phase_bass = (2 * np.pi * bass_of_note[which] * t).astype(np.float32)
    envelope = (1 - np.exp(-60 * onset)) * np.exp(-4 * onset)
    return (0.5 * np.sin(phase_lead) + 0.3 * np.sin(phase_bass)) * envelope


def make_music(path: Path, *, seed: int, seconds: float = 8.0, noise: float = 0.02, rate: int = 22050) -> Path:
    """Write a mono melody (WAV or by extension) of ``seconds`` with white noise at ``noise`` amplitude."""
    expr = melody_expression(seed)
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"aevalsrc='{expr}':s={rate}:d={seconds}",
        "-f", "lavfi", "-i", f"anoisesrc=a={noise}:c=white:r={rate}:d={seconds}:seed={seed % 2**31}",
        "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]", "-map", "[a]", "-ac", "1", str(path),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    return path


PICTURES = ["testsrc2", "mandelbrot", "life", "cellauto", "rgbtestsrc", "smptebars"]


def make_video(
    path: Path, *, audio: Path | None, picture_seed: int, seconds: float = 8.0, size: str = "160x120"
) -> Path:
    """An MP4 of moving generated pictures (chosen by ``picture_seed``) over ``audio`` (or silence)."""
    source = _picture_source(picture_seed, seconds, size)
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source]
    if audio is not None:
        cmd += ["-i", str(audio), "-map", "0:v", "-map", "1:a", "-shortest", "-c:a", "aac", "-b:a", "96k"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", f"{seconds}", str(path)]
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def _picture_source(seed: int, seconds: float, size: str) -> str:
    rng = random.Random(seed)
    kind = rng.choice(["life", "cellauto", "mandelbrot"])
    if kind == "life":
        return f"life=s={size}:r=10:seed={seed % 2**31}:ratio={rng.uniform(0.05, 0.5):.2f}:mold=10,format=yuv420p"
    if kind == "cellauto":
        return f"cellauto=s={size}:r=10:seed={seed % 2**31}:rule={rng.choice([18, 30, 90, 110, 150])},format=yuv420p"
    start = rng.uniform(-1.5, 0.2)
    return f"mandelbrot=s={size}:r=10:start_x={start:.3f}:start_y={rng.uniform(-0.8, 0.8):.3f},format=yuv420p"


def transform(
    source: Path,
    target: Path,
    *,
    filters: str = "",
    start: float = 0.0,
    duration: float | None = None,
    audio_bitrate: str = "64k",
    video: bool = False,
) -> Path:
    """A degraded copy: trimmed at ``start`` for ``duration``, ``filters`` on the audio, low bitrate."""
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-ss", f"{start}", "-i", str(source)]
    if duration is not None:
        cmd += ["-t", f"{duration}"]
    if filters:
        cmd += ["-af", filters]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-vf", "scale=128:96,eq=saturation=1.4"]
    else:
        cmd += ["-vn"]
    cmd += ["-c:a", "aac", "-b:a", audio_bitrate, str(target)]
    subprocess.run(cmd, check=True, capture_output=True)
    return target
