""""Remix this" where published mashups are shown (battle entries): a button
on a mashup whose creator allowed remixes (``remix_licence`` in the server's
answer; never on your own), which runs one cloud job: the server copies the
project into a new project of yours, its media come down into the
content-addressed cache with progress (Jobs page and the page's notice),
then the project opens in the editor. The work is :func:`sync.remix.remix_published`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from sync.remix_packs import LICENCES


def remixer_name(cloud: Any) -> str:
    """The name the remix is credited to: the account's e-mail name."""
    email = str(getattr(cloud.session.require().auth, "email", "") or "")
    return email.split("@")[0] or "me"


def remix_button(page: Any, m: dict[str, Any]) -> QPushButton | None:
    """The "Remix this" button for mashup ``m`` on a community page, or None
    (no licence, or your own mashup). Disabled with the reason like every
    server action of the page."""
    licence = m.get("remix_licence")
    if licence not in LICENCES or page.is_mine(m):
        return None
    b: QPushButton = page.action_button(
        "Remix this", lambda: start_remix(page, m), name=f"remix_{m['id']}",
        tip=f"Copy its project into a new project of yours, credited ({LICENCES[licence]})")
    return b


def start_remix(page: Any, m: dict[str, Any], *, open_project: Callable[[Path], Any] | None = None) -> Any:
    """Run the remix as a cloud job; the page's notice follows its progress;
    the new project opens in the editor (``open_project``, default: the main window's)."""
    from studio.jobs import Job
    from sync.remix import RemixGrant, remix_folder, remix_published

    cloud = page.cloud
    window = page.window()
    services = getattr(window, "s", None)
    projects_dir = Path(services.projects_dir) if services is not None else Path.home()
    who = remixer_name(cloud)

    def dest(grant: RemixGrant) -> Path:  # keyed by the remix's cloud project id: a retry resumes into it
        return remix_folder(projects_dir, grant.title or "Mashup", grant.project_id)

    def run(progress: Callable[[int, int], None], _cancel: Any) -> Path:
        _pid, folder = remix_published(cloud.session.require_projects(), cloud.session.require().transport,
                                       str(m["id"]), dest, remixer=who, progress=progress)
        return folder

    def opened(folder: Path) -> None:
        page.say(f"Remixed {m.get('title')}: your copy is {folder.name}, credited to its creator.")
        opener = open_project or _editor_opener(window)
        if opener is not None:
            opener(folder)

    page.say(f"Remixing {m.get('title')}…")
    job = cloud.run(f"Remix {m.get('title')}", run, on_result=opened)
    if isinstance(job, Job):
        jobs = cloud.jobs

        def changed(j: object) -> None:
            if not isinstance(j, Job) or j.id != job.id:
                return
            if j.state.finished:
                jobs.job_changed.disconnect(changed)
                if j.error:
                    page.say(f"⚠ Remix failed: {j.error}")
            elif j.stage:
                page.say(f"Remixing {m.get('title')}… {j.stage}")

        jobs.job_changed.connect(changed)
    return job


def _editor_opener(window: QWidget | None) -> Callable[[Path], Any] | None:
    editor = getattr(window, "editor_page", None)
    if editor is None or window is None:
        return None

    def open_it(folder: Path) -> None:
        if editor.open_project(folder):
            window.go("Editor")  # type: ignore[attr-defined]

    return open_it
