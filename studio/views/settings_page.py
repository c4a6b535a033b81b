"""Settings page: storage folders, cache size and clean-up, audio output
device, default models, theme and caption language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audio_engine.cache import FileCache
from audio_engine.progress import CancelToken
from studio.device_info import SeparationDeviceLabel
from studio.playback import list_output_devices
from studio.resources import build_config
from studio.services import Services
from studio.widgets import fmt_bytes, muted, page_header

LANGUAGES = [("Detect automatically", "auto"), ("English", "en"), ("Spanish", "es"), ("French", "fr"),
             ("German", "de"), ("Italian", "it"), ("Portuguese", "pt"), ("Japanese", "ja"), ("Korean", "ko"),
             ("Chinese", "zh"), ("Dutch", "nl"), ("Swedish", "sv")]
SEPARATION_MODELS = ["htdemucs", "htdemucs_ft", "htdemucs_6s", "mdx_extra", "classical"]


class SettingsPage(QWidget):
    theme_changed = Signal(str)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        st = services.settings
        host = QWidget()
        body = QVBoxLayout(host)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(14)

        # appearance
        look = QGroupBox("Appearance")
        f = QFormLayout(look)
        self.theme = QComboBox()
        self.theme.addItem("Dark", "dark")
        self.theme.addItem("Light", "light")
        self.theme.setCurrentIndex(max(0, self.theme.findData(st.str("theme") or "dark")))
        self.theme.currentIndexChanged.connect(self._theme)
        f.addRow("Theme", self.theme)
        body.addWidget(look)

        if services.cloud is not None:  # Settings → Account (studio/views/account_page.py)
            from studio.views.account_page import AccountPanel

            account = QGroupBox("Account")
            account.setObjectName("account_group")
            QVBoxLayout(account).addWidget(AccountPanel(services.cloud))
            body.insertWidget(0, account)
            self.account_group = account

        # audio
        audio = QGroupBox("Audio output")
        f = QFormLayout(audio)
        self.device = QComboBox()
        self.device_note = muted("")
        self._fill_devices()
        self.device.currentIndexChanged.connect(self._device)
        f.addRow("Output device", self.device)
        f.addRow("", self.device_note)
        body.addWidget(audio)

        # models
        models = QGroupBox("Default models")
        f = QFormLayout(models)
        self.sep_model = QComboBox()
        self.sep_model.addItems(SEPARATION_MODELS)
        self.sep_model.setEditable(True)  # custom models in the model folder (Models page) by name
        self.sep_model.setCurrentText(st.str("models/separation") or "htdemucs")
        self.sep_model.currentTextChanged.connect(lambda t: st.set("models/separation", t))
        self.cap_model = QComboBox()
        from audio_engine.captions.models import MODELS

        self.cap_model.addItems(list(MODELS))
        self.cap_model.setEditable(True)
        self.cap_model.setCurrentText(st.str("models/captions") or "tiny.en")
        self.cap_model.currentTextChanged.connect(lambda t: st.set("models/captions", t))
        self.language = QComboBox()
        for label, code in LANGUAGES:
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(st.str("captions/language") or "auto")))
        self.language.currentIndexChanged.connect(lambda _i: st.set("captions/language", self.language.currentData()))
        f.addRow("Stem separation", self.sep_model)
        f.addRow("Captions", self.cap_model)
        f.addRow("Caption language", self.language)
        self.separation_device = SeparationDeviceLabel(services)
        f.addRow("Separation runs on", self.separation_device)
        body.addWidget(models)

        updates = QGroupBox("Updates")
        f = QFormLayout(updates)
        self.update_check = QCheckBox("Check for a new version once a day (only opens the download page)")
        self.update_check.setChecked(bool(st.get("updates/check")))
        self.update_check.toggled.connect(lambda on: st.set("updates/check", bool(on)))
        if not build_config().get("update_feed"):
            self.update_check.setEnabled(False)
            self.update_check.setToolTip("This build has no release feed configured.")
        f.addRow(self.update_check)
        body.addWidget(updates)

        # storage
        storage = QGroupBox("Storage")
        f = QFormLayout(storage)
        p = services.paths
        for label, path in (("Library and projects", p.data), ("Cache (stems, waveforms, analyses)", p.cache),
                            ("Models", p.models)):
            lab = QLabel(str(path))
            lab.setObjectName("Muted")
            lab.setTextInteractionFlags(lab.textInteractionFlags() | lab.textInteractionFlags().TextSelectableByMouse)
            f.addRow(label, lab)
        f.addRow("", muted("To move everything, start the studio with MASHUPS_HOME set to another folder "
                           "(or MASHUPS_DATA_DIR / MASHUPS_CACHE_DIR / MASHUPS_MODEL_DIR for one of them)."))
        self.cache_size = QLabel("…")
        self.cache_limit = QDoubleSpinBox()
        self.cache_limit.setRange(0.5, 2000.0)
        self.cache_limit.setSuffix(" GB")
        self.cache_limit.setValue(float(st.get("cache/max_gb")))
        self.cache_limit.valueChanged.connect(lambda v: st.set("cache/max_gb", float(v)))
        self.clean_btn = QPushButton(services.theme.icon("trash"), "Clean up now")
        self.clean_btn.clicked.connect(self.clean_cache)
        row = QHBoxLayout()
        row.addWidget(self.cache_size, 1)
        row.addWidget(QLabel("Keep at most"))
        row.addWidget(self.cache_limit)
        row.addWidget(self.clean_btn)
        f.addRow("Cache size", row)
        body.addWidget(storage)
        body.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Settings", "Saved automatically."))
        lay.addWidget(scroll, 1)
        self.measure_cache()

    def _fill_devices(self) -> None:
        self.device.blockSignals(True)
        self.device.clear()
        self.device.addItem("System default", "")
        devices, problem = list_output_devices()
        for d in devices:
            self.device.addItem(d.name, d.name)
        self.device.addItem("No output (silent; the playhead still runs)", "null")
        cur = self.s.settings.str("audio/device")
        self.device.setCurrentIndex(max(0, self.device.findData(cur)))
        self.device_note.setText(problem or f"{len(devices)} output device(s) found.")
        self.device.blockSignals(False)

    def _device(self, _i: int) -> None:
        value = str(self.device.currentData())
        self.s.settings.set("audio/device", value)
        self.s.transport.set_device(value)

    def _theme(self, _i: int) -> None:
        name = str(self.theme.currentData())
        self.s.settings.set("theme", name)
        self.theme_changed.emit(name)

    def _caches(self) -> list[FileCache]:
        return [self.s.stems_cache, FileCache(self.s.paths.cache / "clip-renders")]

    def measure_cache(self) -> None:
        caches = self._caches()
        peaks_root = self.s.peaks.root

        def fn(progress: Any, cancel: CancelToken) -> int:
            total = sum(c.size_bytes() for c in caches)
            if peaks_root.is_dir():
                total += sum(f.stat().st_size for f in peaks_root.glob("*.npz"))
            return total

        self.s.jobs.submit("Measure cache", "io", fn, on_result=lambda n: self.cache_size.setText(fmt_bytes(n)),
                           background=True)

    def clean_cache(self) -> None:
        caches = self._caches()
        limit = int(self.cache_limit.value() * 1e9)

        def fn(progress: Any, cancel: CancelToken) -> int:
            removed = 0
            per = limit // len(caches)
            for c in caches:
                removed += len(c.prune(per))
            return removed

        def done(n: int) -> None:
            self.cache_size.setText(f"{self.cache_size.text()} (removed {n} entries)")
            self.measure_cache()

        self.s.jobs.submit("Clean up the cache", "io", fn, on_result=done)
