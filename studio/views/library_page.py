"""Library page: the song table (search, sort, drag-and-drop import), the
"what fits with this" panel and the song context menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audio_engine.library import SongRecord
from studio.controllers import SongActions, max_stretch_setting, partner_fits
from studio.services import Services
from studio.widgets import Card, fmt_duration, muted, page_header, show_message

COLUMNS = ("Title", "Artist", "Duration", "BPM", "Key", "Camelot", "LUFS", "Stems", "Captions")
#: Column widths in pixels (Title takes what is left, at least its width here).
WIDTHS = {"Title": 180, "Artist": 140, "Duration": 72, "BPM": 64, "Key": 92, "Camelot": 76, "LUFS": 62,
          "Stems": 78, "Captions": 78}
#: Columns hidden first when the table is narrow (Stems and Captions stay).
HIDE_ORDER = ("Artist", "LUFS", "Camelot", "Duration")
SONG_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class LibraryModel(QAbstractTableModel):
    """Rows = library songs; cells formatted for people, sort keys numeric."""

    def __init__(self, services: Services, actions: SongActions) -> None:
        super().__init__()
        self.s = services
        self.actions = actions
        self.songs: list[SongRecord] = []
        self.reload()
        actions.song_updated.connect(self.refresh_song)
        actions.songs_added.connect(lambda _s: self.reload())

    def reload(self) -> None:
        self.beginResetModel()
        self.songs = self.s.library.all()
        self.endResetModel()

    def refresh_song(self, song_id: int) -> None:
        for row, s in enumerate(self.songs):
            if s.id == song_id:
                self.songs[row] = self.s.library.get(song_id)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return
        self.reload()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.songs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self.songs[index.row()]
        col = COLUMNS[index.column()]
        if role == SONG_ID_ROLE:
            return s.id
        pending = s.id in self.actions.analysing
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "Title":
                return s.title
            if col == "Artist":
                return s.artist or "—"
            if col == "Duration":
                return fmt_duration(s.duration)
            if col in ("BPM", "Key", "Camelot", "LUFS") and not s.analysed:
                return "analysing…" if pending and col == "BPM" else "…" if pending else "—"
            if col == "BPM":
                return f"{s.bpm:.1f}" if s.bpm else "—"
            if col == "Key":
                return s.key_name or "—"
            if col == "Camelot":
                return s.camelot or "—"
            if col == "LUFS":
                return f"{s.lufs:.1f}" if s.lufs is not None else "—"
            if col == "Stems":
                return f"{len(s.stems)} stems" if s.stems else "—"
            if col == "Captions":
                return "yes" if s.captions else "—"
        if role == SORT_ROLE:
            if col == "Duration":
                return s.duration
            if col == "BPM":
                return s.bpm or 0.0
            if col == "LUFS":
                return s.lufs if s.lufs is not None else -99.0
            if col == "Camelot":
                c = s.camelot or ""
                return (int(c[:-1]) * 2 + (c[-1] == "B")) if c[:-1].isdigit() else 99
            if col == "Stems":
                return len(s.stems)
            return str(self.data(index, Qt.ItemDataRole.DisplayRole)).lower()
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("Duration", "BPM", "LUFS", "Camelot"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col in ("Artist", "Stems", "Captions"):
            return self.s.theme.color("muted")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == "Stems" and s.stems:
                return "Stems: " + ", ".join(sorted(s.stems))
            return str(s.path)
        return None

    def song_at(self, row: int) -> SongRecord:
        return self.songs[row]


class SongTable(QTableView):
    """The song table: drops files, and sizes its columns to its width:
    fixed widths for the short columns, the rest to Title, and when even
    that does not fit, the columns of :data:`HIDE_ORDER` are hidden first so
    that Stems and Captions always show."""

    files_dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def column_widths(self) -> dict[str, int]:
        """:data:`WIDTHS`, widened where the (bold) header text needs more."""
        f = QFont(self.horizontalHeader().font())
        f.setBold(True)
        fm = QFontMetrics(f)
        return {n: max(w, fm.horizontalAdvance(n) + 32) for n, w in WIDTHS.items()}

    def fit_columns(self) -> None:
        if self.model() is None:
            return
        widths = self.column_widths()
        avail = self.viewport().width()
        hidden: set[str] = set()
        need = sum(widths.values())
        for name in HIDE_ORDER:
            if need <= avail:
                break
            hidden.add(name)
            need -= widths[name]
        for i, name in enumerate(COLUMNS):
            self.setColumnHidden(i, name in hidden)
            if name != "Title":
                self.setColumnWidth(i, widths[name])
        shown = sum(widths[n] for n in COLUMNS if n not in hidden and n != "Title")
        # a wide window: the artist gets a third of the room beyond the title's own width (maximised it
        # read "Mashups Demo …" beside a half-empty title column)
        extra = max(0, avail - shown - widths["Title"]) // 3 if "Artist" not in hidden else 0
        if extra:
            self.setColumnWidth(COLUMNS.index("Artist"), widths["Artist"] + extra)
        self.setColumnWidth(0, max(widths["Title"], avail - shown - extra))

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        self.fit_columns()

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()
        else:
            super().dragEnterEvent(e)

    def dragMoveEvent(self, e: Any) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()
        else:
            super().dragMoveEvent(e)

    def dropEvent(self, e: QDropEvent) -> None:
        urls = [Path(u.toLocalFile()) for u in e.mimeData().urls() if u.isLocalFile()]
        if urls:
            e.acceptProposedAction()
            self.files_dropped.emit(urls)
        else:
            super().dropEvent(e)


class FitsList(QTreeWidget):
    """"What fits with this": one row per partner, labelled columns."""

    HEADERS = (("Partner", "A song whose instrumental carries the selected song's vocals"),
               ("BPM", "The partner's own tempo (Magic meets both songs at one tempo; see the row's tooltip)"),
               ("Vocals", "Pitch shift of the selected song's vocals, in semitones"),
               ("Fit", "Quick fit from tempo and key, 0-100 (the full score comes with the Magic result)"))

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("FitsList")
        self.setStyleSheet("QTreeWidget#FitsList::item { padding: 5px 0px; }")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setColumnCount(len(self.HEADERS))
        self.setHeaderLabels([h for h, _ in self.HEADERS])
        for i, (_h, tip) in enumerate(self.HEADERS):
            self.headerItem().setToolTip(i, tip)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        hh = self.header()
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i in range(1, len(self.HEADERS)):
            hh.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)

    def count(self) -> int:
        return self.topLevelItemCount()

    def item(self, row: int) -> QTreeWidgetItem:
        return self.topLevelItem(row)


class LibraryPage(QWidget):
    open_in_editor = Signal(list)  # song ids
    magic_requested = Signal(int, object)  # song id, partner id or None
    show_captions = Signal(int)

    def __init__(self, services: Services, actions: SongActions) -> None:
        super().__init__()
        self.s = services
        self.actions = actions
        self.model = LibraryModel(services, actions)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(SORT_ROLE)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title or artist…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(services.theme.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.setMinimumWidth(260)
        self.import_button = QPushButton(services.theme.icon("import", "accent_text"), "Import songs")
        self.import_button.setObjectName("Primary")
        self.import_button.clicked.connect(self.choose_files)
        self.folder_button = QPushButton(services.theme.icon("folder-plus"), "Import folder")
        self.folder_button.clicked.connect(self.choose_folder)

        self.table = SongTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(34)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(False)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # Title A to Z
        self.table.fit_columns()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.files_dropped.connect(self.import_paths)
        self.table.doubleClicked.connect(self._play_row)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_fits())
        self.model.dataChanged.connect(lambda *_: self._update_fits())
        self.model.modelReset.connect(self._update_empty)

        self.empty = QLabel("Drop songs or a folder here, or click “Import songs”.\n"
                            "Everything is analysed on this computer: tempo, beats, key, loudness.")
        self.empty.setObjectName("Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        # "What fits with this"
        self.fits_card = Card()
        self.fits_card.setMinimumWidth(250)
        self.fits_card.setMaximumWidth(360)
        title = QLabel("What fits with this")
        title.setStyleSheet("font-weight: 700; font-size: 14px;")
        self.fits_card.body.addWidget(title)
        self.fits_hint = muted("Select an analysed song to see partners that match its key and tempo.")
        self.fits_card.body.addWidget(self.fits_hint)
        self.fits_list = FitsList()
        self.fits_list.itemDoubleClicked.connect(lambda item, _col: self._magic_from_fit(item))
        self.fits_card.body.addWidget(self.fits_list, 1)
        self.magic_button = QPushButton(services.theme.icon("magic", "accent_text"), "Magic mashup")
        self.magic_button.setObjectName("Primary")
        self.magic_button.clicked.connect(self._magic_selected)
        self.fits_card.body.addWidget(self.magic_button)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.table, 1)
        ll.addWidget(self.empty)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.fits_card)
        split.setStretchFactor(0, 1)
        split.setHandleWidth(10)
        split.setChildrenCollapsible(False)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Library", "Your songs, analysed for tempo, key and loudness.",
                                  [self.search, self.folder_button, self.import_button]))
        lay.addWidget(split, 1)
        self.setAcceptDrops(True)
        actions.import_failed.connect(lambda msg: show_message(self, "Import", msg))
        self._update_empty()

    # -- import ----------------------------------------------------------------
    def dragEnterEvent(self, e: QDragEnterEvent) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:
        urls = [Path(u.toLocalFile()) for u in e.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.import_paths(urls)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import songs", str(Path.home()),
                                                "Audio (*.wav *.flac *.mp3 *.ogg *.m4a *.aiff *.opus);;All files (*)")
        if files:
            self.import_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Import a folder of songs", str(Path.home()))
        if d:
            self.import_paths([Path(d)])

    def import_paths(self, paths: list[Path]) -> None:
        self.actions.import_paths(paths)

    def _update_empty(self) -> None:
        self.empty.setVisible(self.model.rowCount() == 0)

    # -- selection ----------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.song_at(r).id for r in sorted(rows)]

    def select_song(self, song_id: int) -> None:
        for row, s in enumerate(self.model.songs):
            if s.id == song_id:
                idx = self.proxy.mapFromSource(self.model.index(row, 0))
                self.table.selectRow(idx.row())
                return

    def _play_row(self, index: QModelIndex) -> None:
        self.play_song(self.model.song_at(self.proxy.mapToSource(index).row()).id)

    def play_song(self, song_id: int) -> None:
        """Load the song into the transport and play it from the start."""
        self.s.transport.load_file(self.s.library.get(song_id).path, play=True)

    def showEvent(self, e: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(e)
        self.refresh_fits()

    def refresh_fits(self) -> None:
        """Rank the partners again (e.g. after the stretch limit changed in the Magic window)."""
        self._update_fits()

    def _update_fits(self) -> None:
        self._update_empty()
        ids = self.selected_ids()
        self.fits_list.clear()
        if not ids:
            self.fits_hint.setText("Select an analysed song to see partners that match its key and tempo.")
            return
        song = self.s.library.get(ids[0])
        if not song.analysed:
            self.fits_hint.setText(f"“{song.title}” is not analysed yet.")
            return
        limit = max_stretch_setting(self.s)
        fits = partner_fits(song, self.model.songs, max_stretch=limit, limit=12)
        self.fits_hint.setText(f"Partners for the vocals of “{song.title}” ({song.bpm or 0:.1f} BPM, "
                               f"{song.camelot or '?'}); tempos within {limit * 100:.0f}%")
        for f in fits:
            item = QTreeWidgetItem([f.partner.title, f"{f.partner_bpm:.1f}", f"{f.shift:+d}" if f.shift else "0",
                                    f"{f.score * 100:.0f}"])
            tip = (f"{f.partner.title}: {f.partner_bpm:.1f} BPM, {f.partner.key_name or 'no clear key'}\n"
                   f"Magic meets at {f.plan.target_bpm:.1f} BPM (tempos {f.apart_pct:.1f}% apart); "
                   f"vocals {f.shift:+d} semitones: {f.relation}\nDouble-click for a Magic mashup")
            for c in range(item.columnCount()):
                item.setToolTip(c, tip)
                if c:
                    item.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, SONG_ID_ROLE, f.partner.id)
            self.fits_list.addTopLevelItem(item)
        if not fits:
            others = any(o.analysed and o.id != song.id for o in self.model.songs)
            self.fits_hint.setText(
                f"No song in the library has a tempo within {limit * 100:.0f}% of “{song.title}”. Import more songs, "
                "or raise the tempo stretch limit in the Magic mashup window." if others else
                f"No analysed partners yet for “{song.title}”. Import more songs.")

    def _magic_from_fit(self, item: QTreeWidgetItem) -> None:
        ids = self.selected_ids()
        if ids:
            self.magic_requested.emit(ids[0], int(item.data(0, SONG_ID_ROLE)))

    def _magic_selected(self) -> None:
        ids = self.selected_ids()
        partner: int | None = ids[1] if len(ids) > 1 else None
        if partner is None and self.fits_list.currentItem() is not None:
            partner = int(self.fits_list.currentItem().data(0, SONG_ID_ROLE))
        self.magic_requested.emit(ids[0] if ids else -1, partner)

    # -- context menu ---------------------------------------------------------------
    def build_menu(self, ids: list[int]) -> QMenu:
        menu = QMenu(self)
        t = self.s.theme
        if not ids:
            menu.addAction(t.icon("import"), "Import songs…", self.choose_files)
            return menu
        first = ids[0]
        menu.addAction(t.icon("play"), "Play", lambda: self.play_song(first))
        menu.addAction(t.icon("editor"), "Open in editor", lambda: self.open_in_editor.emit(ids))
        magic = menu.addMenu(t.icon("magic"), "Magic mashup with…")
        find: QAction = magic.addAction("Find a partner for me")
        find.triggered.connect(lambda: self.magic_requested.emit(first, None))
        magic.addSeparator()
        for other in self.model.songs:
            if other.id != first:
                a = magic.addAction(other.title)
                a.triggered.connect(lambda _c=False, o=other.id: self.magic_requested.emit(first, o))
        menu.addSeparator()
        menu.addAction(t.icon("stems"), "Separate into stems", lambda: [self.actions.separate(i) for i in ids])
        menu.addAction(t.icon("captions"), "Write captions", lambda: [self.actions.caption(i) for i in ids])
        song = self.s.library.get(first)
        if song.captions:
            menu.addAction(t.icon("captions"), "Show captions", lambda: self.show_captions.emit(first))
        menu.addAction(t.icon("waveform"), "Analyse again", lambda: [self.actions.analyse(i) for i in ids])
        from studio.views.identify_dialog import identify_key, identify_song

        key = identify_key()
        if key and len(ids) == 1:  # hidden without the build's AcoustID key
            menu.addAction(t.icon("search"), "Identify (AcoustID)…", lambda: identify_song(self, first, key))
        if len(ids) == 1 and self.s.library.get(first).stems and self.s.cloud is not None:
            from studio.views.packs_page import share_song_as_pack

            menu.addAction(t.icon("stems"), "Share stems as remix pack…", lambda: share_song_as_pack(self, first))
        menu.addAction(t.icon("open"), "Show in folder", lambda: self.show_in_folder(first))
        menu.addSeparator()
        menu.addAction(t.icon("trash", "danger"), "Remove from library", lambda: self._remove(ids))
        return menu

    def _context_menu(self, pos: Any) -> None:
        idx = self.table.indexAt(pos)
        if idx.isValid() and not self.table.selectionModel().isRowSelected(idx.row(), QModelIndex()):
            self.table.selectRow(idx.row())
        self.build_menu(self.selected_ids()).exec(self.table.viewport().mapToGlobal(pos))

    def show_in_folder(self, song_id: int) -> bool:
        """Open the folder holding the song's file in the system's file manager."""
        folder = self.s.library.get(song_id).path.parent
        if not folder.is_dir():
            show_message(self, "Show in folder", f"The folder {folder} does not exist any more.")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _remove(self, ids: list[int]) -> None:
        for i in ids:
            self.s.library.remove(i)
        self.model.reload()
