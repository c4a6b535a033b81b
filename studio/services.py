"""The composition root's product: every long-lived service, built once and
passed into the widgets that need them (no module-level singletons)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from audio_engine.cache import FileCache
from audio_engine.library import Library
from audio_engine.paths import StudioPaths, default_paths
from studio.job_history import JobHistory
from studio.jobs import JobRunner
from studio.peaks import PeakStore
from studio.session import SessionJournal
from studio.settings import Settings
from studio.theme import Theme
from studio.transport import Transport

if TYPE_CHECKING:
    from studio.cloud import CloudController


@dataclass
class Services:
    paths: StudioPaths
    settings: Settings
    library: Library
    jobs: JobRunner
    stems_cache: FileCache
    peaks: PeakStore
    transport: Transport
    theme: Theme
    session: SessionJournal
    storage_problems: list[str] = field(default_factory=list)  # chosen folders not usable at this start
    cloud: CloudController | None = None  # accounts and cloud sync (studio.cloud); None only in bare tests

    @property
    def analysis_db(self) -> Path:
        return self.paths.analysis_db

    @property
    def captions_dir(self) -> Path:
        return self.paths.data / "captions"

    @property
    def projects_dir(self) -> Path:
        return self.paths.data / "projects"

    @property
    def renders_dir(self) -> Path:
        return self.paths.data / "renders"

    @property
    def autosave_dir(self) -> Path:
        return self.paths.data / "autosave"

    def close(self) -> None:
        if self.cloud is not None:
            self.cloud.close()
        self.session.clean_exit()  # a clean quit: nothing to restore at the next start
        self.transport.shutdown()
        self.jobs.shutdown(timeout=3.0)
        self.library.close()


def build_services(*, settings_path: Path | None = None, paths: StudioPaths | None = None) -> Services:
    """Build every service once. ``settings_path`` defaults to
    ``<data>/settings.ini`` (tests use a temp folder via MASHUPS_HOME)."""
    chosen = paths
    storage_problems: list[str] = []
    base = paths or default_paths()
    # the settings stay in the default data folder, so that moving the data folder in them works
    settings = Settings(settings_path or Path(os.environ.get("MASHUPS_SETTINGS", base.data / "settings.ini")))
    if chosen is None:
        from studio.storage import configured_paths

        base, storage_problems = configured_paths(base, settings)
    paths = base.ensure()
    library = Library(paths.data / "library.sqlite3")
    jobs = JobRunner(history=JobHistory(paths.data / "job-history.json"))
    from studio.playback import check_buffer

    try:
        block, latency = check_buffer(int(settings.get("audio/block_size")), settings.str("audio/latency"))
    except ValueError:  # a hand-edited settings file: the defaults, not a failed start
        block, latency = 512, "low"
    transport = Transport(jobs, device=settings.str("audio/device"), block=block, latency=latency)
    return Services(
        paths=paths,
        settings=settings,
        library=library,
        jobs=jobs,
        stems_cache=FileCache(paths.stems),
        peaks=PeakStore(paths.cache / "peaks"),
        transport=transport,
        theme=Theme(settings.str("theme") or "dark"),
        session=SessionJournal(paths.data / "session.json"),
        storage_problems=storage_problems,
        cloud=build_cloud(paths.data, settings, jobs),
    )


def build_cloud(data: Path, settings: Settings, jobs: JobRunner) -> CloudController:
    """The cloud session for the configured address (Settings, environment or
    the build's resources/cloud.json); no address: cloud off, no network."""
    from studio.cloud import CloudController, cloud_settings
    from sync.session import CloudSession, resolve_config

    try:
        config = resolve_config(cloud_settings(settings))
    except ValueError:  # a bad address in the settings: cloud off, the account panel says why
        config = None
    session = CloudSession(config, data_dir=data)
    return CloudController(session, jobs, settings, auto_sync=os.environ.get("MASHUPS_CLOUD_AUTOSYNC", "1") != "0")
