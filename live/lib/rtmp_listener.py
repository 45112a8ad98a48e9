"""A one-publisher RTMP listener: ``ffmpeg -listen 1`` writing HLS and a recording (framework-free).

ffmpeg does not check the stream name a publisher sends, but it logs it ("Unexpected stream
<name>, expecting <ours>") when it differs from the one it listens for. We listen for a random name
nobody can guess, read that line to learn the key the publisher used, and let the caller accept
or kill the session before any viewer sees it.
"""

import queue
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

KEY_LINE = re.compile(r"Unexpected stream (\S+), expecting")


@dataclass
class ListenerConfig:
    host: str
    port: int
    hls_dir: Path  # this session's HLS directory (index.m3u8 + segments)
    record_path: Path  # this session's recording (.flv)
    segment_s: int = 3
    playlist_length: int = 4
    app: str = "live"


@dataclass
class RtmpListener:
    config: ListenerConfig
    probe_name: str = field(default_factory=lambda: f"probe_{secrets.token_hex(16)}")
    process: subprocess.Popen | None = None
    _lines: "queue.Queue[str | None]" = field(default_factory=queue.Queue)
    stderr_tail: list[str] = field(default_factory=list)

    def command(self) -> list[str]:
        c = self.config
        return [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "warning",
            "-listen",
            "1",
            "-i",
            f"rtmp://{c.host}:{c.port}/{c.app}/{self.probe_name}",
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            str(c.segment_s),
            "-hls_list_size",
            str(c.playlist_length),
            "-hls_flags",
            "delete_segments+independent_segments",
            "-hls_segment_filename",
            str(c.hls_dir / "seg%05d.ts"),
            str(c.hls_dir / "index.m3u8"),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "flv",
            str(c.record_path),
        ]

    def start(self) -> None:
        self.config.hls_dir.mkdir(parents=True, exist_ok=True)
        self.config.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._pump, daemon=True, name="rtmp-listener-stderr").start()

    def _pump(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_tail = [*self.stderr_tail[-19:], line.rstrip()]
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_key(self, timeout: float) -> str | None:
        """The key a publisher used, or None on timeout / if ffmpeg exited first."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                self._lines.put(None)
                return None
            match = KEY_LINE.search(line)
            if match:
                return match.group(1)
        return None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGINT first so ffmpeg finishes the playlist and the recording, then kill."""
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        if self.wait(grace_s) is None:
            self.process.kill()
            self.process.wait()
