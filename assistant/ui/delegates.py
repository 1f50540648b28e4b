"""Bar delegates: a score, an attention weight or a signed contribution as a bar.

The only colours the window paints itself are these bars, and they come from the palette
(Highlight for positive values, a mix towards the text colour for negative ones), so the
system's light or dark theme is respected.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from assistant.ui.table_models import SIGNED_ROLE, VALUE_ROLE


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
        signed: bars grow left or right from the middle when the model says the column
            has negative values (``SIGNED_ROLE``); otherwise from the left.
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
        cell = QRectF(opt.rect).adjusted(4, 5, -4, -5)
        # The number sits in its own column at the right, never on top of the bar.
        text_width = opt.fontMetrics.horizontalAdvance(text) + 8 if text else 0
        rect = QRectF(cell.left(), cell.top(), max(4.0, cell.width() - text_width), cell.height())
        signed = self.signed and bool(index.data(SIGNED_ROLE))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 3, 3)
        v = max(-1.0, min(1.0, float(value)))
        if signed:
            mid = rect.left() + rect.width() / 2
            width = rect.width() / 2 * abs(v)
            bar = QRectF(mid if v >= 0 else mid - width, rect.top(), width, rect.height())
        else:
            bar = QRectF(rect.left(), rect.top(), rect.width() * max(0.0, abs(v)), rect.height())
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        if selected:  # a Highlight bar would vanish in a Highlight row
            positive = opt.palette.color(QPalette.ColorRole.HighlightedText)
            track = _mix(opt.palette.color(QPalette.ColorRole.Highlight), positive, 0.25)
            painter.setBrush(track)
            painter.drawRoundedRect(rect, 3, 3)
        painter.setBrush(positive if v >= 0 else negative)
        painter.drawRoundedRect(bar, 3, 3)
        painter.setPen(
            opt.palette.color(
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            )
        )
        painter.drawText(
            QRectF(rect.right(), opt.rect.top(), cell.right() - rect.right(), opt.rect.height()),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            text,
        )
        painter.restore()
