"""Analytics page: plays, likes, shares, comments and votes on your mashups over
time (day / week / month buckets, a range picker) drawn with pyqtgraph,
exportable as CSV, and "My mashups": what you published with plays, likes and
votes, each with Unpublish. Counts are the server's (once per listener and
window, never your own plays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton

from studio.views.community_common import CommunityPage, heading, label
from studio.widgets import Card, muted
from sync.community import EVENT_TYPES, CommunityClient, Fetched, Series

RANGES = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Last year": 365}
COLORS = {"play": "#4c9aff", "like": "#ff5c8a", "share": "#36b37e", "comment": "#ffab00", "vote": "#a070ff"}


class AnalyticsPage(CommunityPage):
    TITLE = "Analytics"
    SUBTITLE = "How your published mashups are played, liked, shared and commented on."

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.range = QComboBox()
        self.range.setObjectName("analytics_range")
        self.range.addItems(list(RANGES))
        self.bucket = QComboBox()
        self.bucket.setObjectName("analytics_bucket")
        self.bucket.addItems(["day", "week", "month"])
        self.mashup = QComboBox()  # all mashups or one
        self.mashup.setObjectName("analytics_mashup")
        self.mashup.addItem("All my mashups", None)
        self.export_btn = QPushButton("Export CSV…")
        self.export_btn.setObjectName("analytics_export")
        self.export_btn.setEnabled(False)
        self.export_btn.clicked.connect(self.export_dialog)
        bar = QHBoxLayout()
        bar.addWidget(self.range)
        bar.addWidget(self.bucket)
        bar.addWidget(self.mashup)
        bar.addStretch(1)
        bar.addWidget(self.export_btn)
        lay = self.layout()
        assert lay is not None
        lay.insertLayout(2, bar)  # type: ignore[attr-defined]
        self.range.currentIndexChanged.connect(lambda _i: self.refresh())
        self.bucket.currentIndexChanged.connect(lambda _i: self.refresh())
        self.mashup.activated.connect(lambda _i: self.refresh())
        self.series = Series()
        self.plot: pg.PlotWidget | None = None

    def fetch(self, client: CommunityClient) -> Fetched:
        end = datetime.now(UTC) + timedelta(hours=1)
        start = end - timedelta(days=RANGES[self.range.currentText()])
        series, f = client.timeseries(self.bucket.currentText(), start, end, self.mashup.currentData())
        mine = client.my_mashups()
        return Fetched({"series": series, "mashups": mine.data}, f.fetched_at, f.offline or mine.offline,
                       f.reason or mine.reason)

    def render(self, data: dict[str, Any]) -> None:
        self.series = data["series"]
        current = self.mashup.currentData()
        self.mashup.blockSignals(True)
        self.mashup.clear()
        self.mashup.addItem("All my mashups", None)
        for m in data["mashups"]:
            self.mashup.addItem(m["title"], m["id"])
        self.mashup.setCurrentIndex(max(0, self.mashup.findData(current)))
        self.mashup.blockSignals(False)
        self.export_btn.setEnabled(bool(self.series.buckets))
        totals = Card()
        totals.body.addWidget(label("   ".join(f"{t.title()}s: {self.series.total(t)}" for t in EVENT_TYPES),
                                    name="analytics_totals", bold=True))
        # transparent: the card's colour shows through in both themes (pyqtgraph's default is black)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()}, background=None)
        self.plot.setObjectName("analytics_plot")
        self.plot.setMinimumHeight(260)
        self.plot.addLegend()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        xs = [b.timestamp() for b in self.series.buckets]
        for t in EVENT_TYPES:
            self.plot.plot(xs, self.series.counts.get(t, []), name=t, pen=pg.mkPen(COLORS[t], width=2),
                           symbol="o", symbolSize=5, symbolBrush=COLORS[t])
        # counts: never below 0, and an empty series shows 0..1 rather than -0.4..0.4
        peak = max((max(v) for v in self.series.counts.values() if v), default=0)
        self.plot.setLimits(yMin=0)
        self.plot.setYRange(0, max(1, peak) * 1.1, padding=0)
        totals.body.addWidget(self.plot)
        self.body_lay.addWidget(totals)
        mine = Card()
        mine.body.addWidget(heading("My mashups"))
        ranked = sorted(data["mashups"], key=lambda m: (m["plays"] + 3 * m["likes"] + 10 * m["votes"]), reverse=True)
        if not ranked:
            mine.body.addWidget(muted("Nothing published yet: File → Publish mashup…"))
        for m in ranked:
            row = QHBoxLayout()
            row.addWidget(label(f"{m['title']} ({m['visibility']})", bold=True), 1)
            n = int(m.get("comments") or 0)
            stats = muted(f"{m['plays']} plays · {m['likes']} likes · {n} comment{'' if n == 1 else 's'} · "
                          f"{m['votes']} votes")
            stats.setObjectName(f"mashup_stats_{m['id']}")
            stats.setWordWrap(False)
            row.addWidget(stats)
            row.addWidget(self.action_button("Unpublish", lambda _c=False, m=m: self.unpublish(m), name=f"unpublish_{m['id']}"))
            mine.body.addLayout(row)
        self.body_lay.addWidget(mine)

    def unpublish(self, m: dict[str, Any]) -> None:
        self.act(f"Unpublish {m['title']}", lambda c: c.unpublish(m["id"]),
                 lambda _r: self.say(f"Unpublished {m['title']}."))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """A theme switch: the chart's transparent background is re-taken from the new colours."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and self.plot is not None:
            self.plot.setBackground(None)
        super().changeEvent(event)

    def export_csv(self, path: Path) -> Path:
        path.write_text(self.series.to_csv(), encoding="utf-8")
        return path

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export analytics", str(Path.home() / "mashup-analytics.csv"),
                                              "CSV (*.csv)")
        if path:
            self.say(f"Saved {self.export_csv(Path(path))}")
