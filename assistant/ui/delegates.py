"""Bar delegates: a score, an attention weight or a signed contribution as a bar.

The only colours the window paints itself are these bars, and they come from the palette
(Highlight for positive values, a mix towards the text colour for negative ones), so the
system's light or dark theme is respected.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from assistant.ui.table_models import VALUE_ROLE


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() * (1 - t) + b.red() * t),
        round(a.green() * (1 - t) + b.green() * t),
        round(a.blue() * (1 - t) + b.blue() * t),
    )


def bar_colours(palette: QPalette) -> tuple[QColor, QColor, QColor]:
    """(positive, negative, track) colours for bars, derived from the palette."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    negative = _mix(highlight, QColor(200, 60, 60), 0.75)
    track = _mix(base, text, 0.08)
    return highlight, negative, track


class BarDelegate(QStyledItemDelegate):
    """Paints ``VALUE_ROLE`` (a number in [0, 1], or [-1, 1] when ``signed``) as a bar
    with the cell's text on top of it.

    Args:
        signed: bars grow left or right from the middle (contributions can be negative).
    """

    def __init__(self, parent=None, *, signed: bool = False) -> None:
        super().__init__(parent)
        self.signed = signed

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        value = index.data(VALUE_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        positive, negative, track = bar_colours(opt.palette)
        rect = QRectF(opt.rect).adjusted(3, 4, -3, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 3, 3)
        v = max(-1.0, min(1.0, float(value)))
        if self.signed:
            mid = rect.left() + rect.width() / 2
            width = rect.width() / 2 * abs(v)
            bar = QRectF(mid if v >= 0 else mid - width, rect.top(), width, rect.height())
        else:
            bar = QRectF(rect.left(), rect.top(), rect.width() * max(0.0, v), rect.height())
        painter.setBrush(positive if v >= 0 else negative)
        painter.setOpacity(0.85)
        painter.drawRoundedRect(bar, 3, 3)
        painter.setOpacity(1.0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.setPen(
            opt.palette.color(
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            )
        )
        painter.drawText(
            rect.adjusted(4, 0, -4, 0),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            text,
        )
        painter.restore()
