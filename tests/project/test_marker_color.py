"""A marker's colour: set and undone as one command, refused when it is not
#rrggbb, synced as the marker's field, kept through save and open."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.project import (
    AddMarker,
    CommandStack,
    Project,
    SetMarkerColor,
    command_from_dict,
    open_project,
    save_project,
)
from audio_engine.project.entities import canonical, command_changes, compose, decompose


def test_marker_colour_command_sync_and_file_round_trip(tmp_path: Path) -> None:
    p = Project(title="markers")
    st = CommandStack(p)
    st.push(AddMarker(marker_id="m1", position=4.0, name="Drop"))
    assert p.markers[0].color is None
    cmd = SetMarkerColor(marker_id="m1", color="#22d3a6")
    st.push(cmd)
    assert p.markers[0].color == "#22d3a6"
    assert [(c.kind, c.id, c.fields) for c in command_changes(cmd, p)] == [("marker", "m1", {"color": "#22d3a6"})]
    assert command_from_dict(cmd.to_dict()).to_dict() == cmd.to_dict()
    assert compose(decompose(p)).markers[0].color == "#22d3a6"
    folder = save_project(p, tmp_path / "m.mashup")
    assert open_project(folder).project.markers[0].color == "#22d3a6"
    assert canonical(open_project(folder).project).to_dict() == canonical(p).to_dict()
    st.undo()
    assert p.markers[0].color is None
    with pytest.raises(ProjectEditError, match="#rrggbb"):
        st.push(SetMarkerColor(marker_id="m1", color="red; drop table"))
    with pytest.raises(ProjectEditError, match="no marker"):
        st.push(SetMarkerColor(marker_id="nope", color="#000000"))
    assert p.markers[0].color is None


def test_a_bad_marker_colour_in_a_file_is_refused_naming_the_marker() -> None:
    d = Project(title="x").to_dict()
    d["markers"] = [{"id": "m1", "position": 1.0, "name": "Verse", "color": "#12"}]
    with pytest.raises(ProjectFileError, match="Marker Verse colour"):
        Project.from_dict(d)
