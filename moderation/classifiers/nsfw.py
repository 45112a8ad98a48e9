"""NSFW images: nudenet's bundled ONNX detector (``320n.onnx``, inside the wheel), on CPU.

The detector is loaded once per process, on first use. The score is the highest confidence of an
exposed-body-part detection; covered parts and faces do not count."""

from __future__ import annotations

import hashlib
import threading
from importlib import metadata
from pathlib import Path

from moderation.classifiers.base import IMAGE, Classifier, Item, Result

EXPLICIT_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)

_lock = threading.Lock()
_detector = None
_model_digest = ""


def detector():
    """The process's NudeDetector (loaded on first call)."""
    global _detector, _model_digest
    if _detector is None:
        with _lock:
            if _detector is None:
                import nudenet

                weights = Path(nudenet.__file__).with_name("320n.onnx")
                _model_digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
                _detector = nudenet.NudeDetector()
    return _detector


class NudeNetClassifier(Classifier):
    name = "nsfw"
    kind = IMAGE
    model = "nudenet-320n"

    def __init__(self):
        self.version = metadata.version("nudenet")
        self.runs = 0  # model invocations in this process (tests assert the real model ran)

    def classify(self, item: Item) -> Result:
        # nudenet reads arrays as OpenCV does (BGR); ours are RGB.
        detections = detector().detect(item.image[:, :, ::-1].copy())
        self.runs += 1
        explicit = [d for d in detections if d["class"] in EXPLICIT_LABELS]
        top = max(explicit, key=lambda d: d["score"], default=None)
        return Result(
            score=round(float(top["score"]), 4) if top else 0.0,
            label=top["class"] if top else "",
            details={
                "model_sha256": _model_digest,
                "detections": [
                    {"class": d["class"], "score": round(float(d["score"]), 4)}
                    for d in sorted(detections, key=lambda d: -d["score"])[:8]
                ],
            },
        )
