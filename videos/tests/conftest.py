import shutil
from pathlib import Path

import pytest

from videos.lib.ffmpeg import make_test_clip


@pytest.fixture(autouse=True)
def _video_dirs(settings, tmp_path):
    settings.VIDEO_UPLOAD_DIR = tmp_path / "uploads"
    settings.VIDEO_WORK_DIR = tmp_path / "work"
    settings.VIDEO_UPLOAD_DIR.mkdir()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def _clip_cache(clip_dir):
    return {}


@pytest.fixture
def make_clip(clip_dir, _clip_cache, tmp_path):
    """A fresh copy of a tiny lavfi clip (generated once per session per variant)."""

    def _make(*, seconds: float = 2, size: str = "320x240", audio: bool = True, name: str = "clip.mp4") -> Path:
        key = (seconds, size, audio)
        if key not in _clip_cache:
            _clip_cache[key] = make_test_clip(
                clip_dir / f"{seconds}-{size}-{audio}.mp4", seconds=seconds, size=size, audio=audio
            )
        target = tmp_path / name
        shutil.copyfile(_clip_cache[key], target)
        return target

    return _make
