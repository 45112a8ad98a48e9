"""The fingerprint and matching library on generated media: the inverted index and the brute-force
oracle agree; copies are found at the right offsets; unrelated material is not."""

import numpy as np
import pytest

from copyright.lib import fingerprint as fp
from copyright.lib import matching
from copyright.lib.fingerprint import phash_frames

T = matching.Thresholds()


@pytest.fixture(scope="module")
def prints(clips):
    return {name: fp.fingerprint_file(path) for name, path in clips.items()}


def _index(kind, prints):
    index = matching.InvertedIndex() if kind == "inverted" else matching.BruteForceIndex()
    index.add(1, audio=prints["song"].audio, frames=prints["song"].frames)
    index.add(2, audio=prints["film"].audio, frames=prints["film"].frames)
    return index


@pytest.mark.parametrize("kind", ["inverted", "brute"])
def test_a_quieter_trimmed_reencoded_copy_matches_at_the_right_offset(prints, kind):
    found = matching.match(_index(kind, prints), audio=prints["copy"].audio, frames=prints["copy"].frames, thresholds=T)
    assert [m.reference_id for m in found] == [1]
    (m,) = found
    assert m.kind == matching.AUDIO
    assert m.reference_start == pytest.approx(6.0, abs=0.5)
    assert m.query_start == pytest.approx(0.0, abs=0.5)
    assert m.duration >= 9  # of 12 s: Chromaprint's first and last items need context
    assert m.confidence >= 0.8


@pytest.mark.parametrize("kind", ["inverted", "brute"])
def test_other_music_under_other_pictures_matches_nothing(prints, kind):
    found = matching.match(
        _index(kind, prints), audio=prints["unrelated"].audio, frames=prints["unrelated"].frames, thresholds=T
    )
    assert found == []


@pytest.mark.parametrize("kind", ["inverted", "brute"])
def test_the_same_pictures_over_other_audio_match_through_frame_hashes(prints, kind):
    found = matching.match(
        _index(kind, prints), audio=prints["repicture"].audio, frames=prints["repicture"].frames, thresholds=T
    )
    assert [(m.reference_id, m.kind) for m in found] == [(2, matching.PICTURE)]
    assert found[0].reference_start == pytest.approx(3.0, abs=1.0)
    assert found[0].duration >= 10
    assert found[0].confidence >= 0.8


def test_a_removed_reference_is_not_matched(prints):
    index = _index("inverted", prints)
    index.remove(1)
    assert matching.match(index, audio=prints["copy"].audio, frames=prints["copy"].frames, thresholds=T) == []


def test_flat_frames_never_match():
    flat = phash_frames(np.full((10, 32, 32), 17, dtype=np.uint8))
    assert fp.is_flat(flat).all()
    index = matching.InvertedIndex()
    index.add(1, audio=np.zeros(0, np.uint32), frames=flat)
    assert matching.match(index, audio=np.zeros(0, np.uint32), frames=flat, thresholds=T) == []


def test_fingerprints_have_the_documented_rates(prints):
    song = prints["song"]
    assert 6.5 <= len(song.audio) / 20 <= 8.1  # ~8 sub-fingerprints a second (minus ~2.5 s of edges)
    assert len(prints["film"].frames) == 16  # 1 fps
    assert song.duration_ms == pytest.approx(20_000, abs=1_000)
