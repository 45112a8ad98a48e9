"""A killed worker takes its ffmpeg with it (no orphan transcoding beside the retry)."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

pytestmark = pytest.mark.slow

RUNNER = """
import sys
from videos.lib import ffmpeg
cmd = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-re", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=60",
       "-f", "null", "-"]
print("started", flush=True)
ffmpeg.run_with_progress(cmd, duration_s=60)
"""


def test_ffmpeg_dies_with_the_process_that_started_it():
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER],
        cwd=os.getcwd(),
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "socialflow.test_settings"},
    )
    try:
        assert runner.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 10
        children: list[psutil.Process] = []
        while not children and time.monotonic() < deadline:
            children = psutil.Process(runner.pid).children()
            time.sleep(0.05)
        assert children, "ffmpeg did not start"
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=5)
        gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"ffmpeg outlived its worker: {alive}"
    finally:
        if runner.poll() is None:
            runner.kill()
