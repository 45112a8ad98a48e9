"""``manage.py live_ingest``: the embedded RTMP ingest (an ffmpeg listener), until SIGTERM/Ctrl-C."""

import signal

from django.core.management.base import BaseCommand

from live.embedded_ingest import EmbeddedIngest


class Command(BaseCommand):
    help = "Accept RTMP publishers (OBS: rtmp://HOST:PORT/live + stream key) without nginx-rtmp."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="default LIVE_EMBEDDED_RTMP_HOST")
        parser.add_argument("--port", type=int, default=None, help="default LIVE_EMBEDDED_RTMP_PORT")

    def handle(self, *args, host=None, port=None, **options):
        ingest = EmbeddedIngest(host=host, port=port)

        def shutdown(signum, frame):
            ingest.stop()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        self.stdout.write(f"Live ingest listening on rtmp://{ingest.host}:{ingest.port}/live")
        ingest.serve_forever()
