"""Periodic crawling in the background: a thread with its own event loop runs a crawl, waits `interval` seconds
(or until `wake()`), and again, until `stop()`. The API keeps answering from the index meanwhile; the last report
is kept for the status endpoint. A crawl that raises (a bug) is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import logging
import threading

from .crawler import Crawler, CrawlReport
from .sources import ConnectorSource

log = logging.getLogger("jnt.catalog.scheduler")


class CrawlScheduler:
    def __init__(self, crawler: Crawler, source: ConnectorSource | None, *, interval: float = 300.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive (seconds)")
        self.crawler = crawler
        self.source = source
        self.interval = interval
        self.last_report: CrawlReport | None = None
        self.crawls = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done = threading.Condition()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> CrawlScheduler:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="jnt-catalog-crawler", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Crawl now rather than at the end of the interval."""
        self._wake.set()

    def wait_for_crawls(self, count: int, timeout: float = 60.0) -> bool:
        """Block until `count` crawls have finished since start (tests, `--once` style callers)."""
        with self._done:
            return self._done.wait_for(lambda: self.crawls >= count, timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.last_report = loop.run_until_complete(self.crawler.crawl(self.source))
                except Exception:
                    log.exception("background crawl failed")
                with self._done:
                    self.crawls += 1
                    self._done.notify_all()
                self._wake.wait(self.interval)
        finally:
            loop.close()
