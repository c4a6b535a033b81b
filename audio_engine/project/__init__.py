"""Mashup projects: the timeline model, edit commands with undo/redo, the
``.mashup`` file format (atomic saves, backups, autosave, upgrades, archives),
the content-addressed media store and the offline renderer."""

from audio_engine.project.commands import (
    AddClip,
    AddMarker,
    AddMedia,
    AddTrack,
    Command,
    CommandStack,
    EditCaptionLine,
    Macro,
    MoveClip,
    MoveMarker,
    MoveTrack,
    RemoveClip,
    RemoveMarker,
    RemoveTrack,
    RenameMarker,
    SetCaptions,
    SetClipProperty,
    SetMarkerColor,
    SetProjectProperty,
    SetTempo,
    SetTrackProperty,
    TrimClip,
    command_from_dict,
)
from audio_engine.project.fileformat import (
    FORMAT_VERSION,
    OpenedProject,
    Recovery,
    autosave,
    backups,
    discard_autosave,
    export_archive,
    import_archive,
    load_project,
    open_project,
    recover,
    save_project,
)
from audio_engine.project.media import MediaResolver, MediaStore
from audio_engine.project.model import CaptionLane, Clip, Marker, MediaRef, Project, Track, new_id

__all__ = [
    "FORMAT_VERSION", "AddClip", "AddMarker", "AddMedia", "AddTrack", "CaptionLane", "Clip", "Command",
    "CommandStack", "EditCaptionLine", "Macro", "Marker", "MediaRef", "MediaResolver", "MediaStore", "MoveClip", "MoveMarker", "MoveTrack", "OpenedProject",
    "Project", "Recovery", "RemoveClip", "RemoveMarker", "RemoveTrack", "RenameMarker", "SetCaptions", "SetClipProperty", "SetMarkerColor",
    "SetProjectProperty", "SetTempo", "SetTrackProperty", "Track", "TrimClip", "autosave", "backups",
    "command_from_dict", "discard_autosave", "export_archive", "import_archive", "load_project", "new_id",
    "open_project", "recover", "save_project",
]
