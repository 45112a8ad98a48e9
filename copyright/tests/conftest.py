"""Generated media for the copyright tests: ffmpeg lavfi melodies (aevalsrc, a seed each, mixed
with noise) and moving pictures over them, made once per test session in a temporary directory."""

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from copyright import index as matching_index
from copyright.lib import synth
from copyright.models import RightsHolder
from videos.tests.factories import VideoFactory


def _ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("copyright-clips")
    song = synth.make_music(d / "song.wav", seed=101, seconds=20)
    other = synth.make_music(d / "other.wav", seed=202, seconds=14)
    backing = synth.make_music(d / "backing.wav", seed=303, seconds=16)
    fresh = synth.make_music(d / "fresh.wav", seed=404, seconds=14)
    film = synth.make_video(d / "film.mp4", audio=backing, picture_seed=8, seconds=16)
    clips = {"song": song, "other": other, "film": film}
    # A re-encoded, trimmed (6 s in, 12 s long), half-volume, 64 kbit/s copy of the song under
    # pictures of its own: the audio must match at 6 s into the reference.
    quiet = synth.transform(song, d / "quiet.m4a", filters="volume=0.5", start=6, duration=12)
    clips["copy"] = synth.make_video(d / "copy.mp4", audio=quiet, picture_seed=9, seconds=12)
    # Unrelated music under other pictures: nothing to claim.
    clips["unrelated"] = synth.make_video(d / "unrelated.mp4", audio=other, picture_seed=11, seconds=12)
    # The film's pictures 3 s in, rescaled, recoloured, CRF 35, over other music: the frames match.
    clips["repicture"] = d / "repicture.mp4"
    _ffmpeg(
        "-ss", "3", "-i", str(film), "-i", str(fresh), "-map", "0:v", "-map", "1:a", "-t", "12",
        "-vf", "scale=128:96,eq=saturation=1.4:brightness=0.05", "-c:v", "libx264", "-crf", "35",
        "-preset", "ultrafast", "-c:a", "aac", "-b:a", "64k", str(clips["repicture"]),
    )  # fmt: skip
    return clips


@pytest.fixture(autouse=True)
def _fresh_index():
    matching_index.reset()
    yield
    matching_index.reset()


@pytest.fixture
def holder(db):
    user = UserFactory(username="labelco")
    RightsHolder.objects.create(user=user, name="Label Co")
    return user


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def video_with_source(path: Path, **fields):
    """A ready video whose original upload is ``path`` (saved into the test media storage)."""
    name = default_storage.save(f"uploads/{path.name}", upload(path))
    return VideoFactory(source_name=name, **fields)
