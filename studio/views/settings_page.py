"""Settings page: theme, audio output device and buffer, default models and
caption language, updates, storage folders and the cache."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.device_info import SeparationDeviceLabel
from studio.playback import BLOCK_SIZES, list_output_devices
from studio.resources import build_config
from studio.services import Services
from studio.views.storage_settings import StorageBox
from studio.widgets import muted, page_header

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
        # buffer: smaller answers faster, larger survives a busy computer without dropouts
        self.buffer = QComboBox()
        rate = services.transport.engine.sample_rate
        for n in BLOCK_SIZES:
            self.buffer.addItem(f"{n} samples ({n / rate * 1000:.1f} ms)", n)
        self.buffer.setCurrentIndex(max(0, self.buffer.findData(services.transport.block)))
        self.latency = QComboBox()
        self.latency.addItem("Low (responsive)", "low")
        self.latency.addItem("High (fewer dropouts on a busy computer)", "high")
        self.latency.setCurrentIndex(max(0, self.latency.findData(services.transport.latency)))
        self.buffer.currentIndexChanged.connect(self._buffer)
        self.latency.currentIndexChanged.connect(self._buffer)
        f.addRow("Buffer size", self.buffer)
        f.addRow("Latency", self.latency)
        f.addRow("", muted("Used at once. Raise the buffer if playback crackles; 128-256 samples is what "
                           "music software uses when the computer keeps up."))
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
        self.storage = StorageBox(services)
        body.addWidget(self.storage)
        body.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Settings", "Saved automatically."))
        lay.addWidget(scroll, 1)
        self.storage.measure_cache()

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

    def _buffer(self, _i: int) -> None:
        block, latency = int(self.buffer.currentData()), str(self.latency.currentData())
        self.s.transport.set_buffer(block, latency)
        self.s.settings.set("audio/block_size", block)
        self.s.settings.set("audio/latency", latency)

    def _theme(self, _i: int) -> None:
        name = str(self.theme.currentData())
        self.s.settings.set("theme", name)
        self.theme_changed.emit(name)
