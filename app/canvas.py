"""The canvas: shows the document's layers without copying them and turns mouse drags into tool calls.

The image, mask and sketch arrays are wrapped as QImages that share their memory, so an edit costs only a
repaint of the rectangle it changed. Zoom with the wheel, pan with the middle button or space + drag, brush size
with Alt + wheel. Hold the compare key (or the tool bar's Compare button) to see the original photo, with an
"Original" badge; any change to the document ends the comparison, so nothing is made unseen.
"""
from __future__ import annotations

from enum import StrEnum

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QWidget

from app import tools
from app.document import Box, Document, Layer, Stroke
from app.select_object import select_object
from engines.errors import InputError

MASK_COLOUR = QColor(255, 40, 60, 120)
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
COMPARE_KEY = Qt.Key.Key_Backslash  # held on the canvas: the original photo
BADGE = "Original"


class Tool(StrEnum):
    BRUSH = "brush"  # paints the mask
    ERASER = "eraser"  # erases the mask
    RECTANGLE = "rectangle"
    LASSO = "lasso"
    PEN = "pen"  # sketch / colour strokes
    SKETCH_ERASER = "sketch_eraser"
    SELECT_OBJECT = "select_object"  # a box around an object: GrabCut grows the mask over it


_LAYER = {Tool.BRUSH: Layer.MASK, Tool.ERASER: Layer.MASK, Tool.RECTANGLE: Layer.MASK, Tool.LASSO: Layer.MASK,
          Tool.PEN: Layer.SKETCH, Tool.SKETCH_ERASER: Layer.SKETCH}
_BOX_TOOLS = (Tool.RECTANGLE, Tool.SELECT_OBJECT)
_SHAPE_TOOLS = (*_BOX_TOOLS, Tool.LASSO)


def _wrap(array: np.ndarray, fmt: QImage.Format, bytes_per_pixel: int) -> QImage:
    h, w = array.shape[:2]
    return QImage(array.data, w, h, w * bytes_per_pixel, fmt)


class Canvas(QWidget):
    cursor_moved = Signal(int, int)
    zoom_changed = Signal(float)
    edited = Signal()
    status = Signal(str)  # a short note for the status bar
    brush_wheel = Signal(float)  # Alt + wheel: wheel steps (positive = bigger)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.document: Document | None = None
        self.zoom = 1.0
        self.offset = QPointF(0, 0)  # widget position of the image's top-left corner
        self.tool = Tool.BRUSH
        self.brush = tools.Brush(radius=16.0, hardness=1.0)
        self.colour: tools.RGBA = (20, 20, 20, 255)
        self.compare = False
        self._images: tuple[QImage, ...] = ()
        self._preview: QImage | None = None  # an engine's work in progress, shown instead of the image
        self._stroke: Stroke | None = None
        self._last: QPointF | None = None
        self._shape: list[QPointF] = []
        self._pan_from: QPointF | None = None
        self._space = False
        self._mouse = QPointF(-100, -100)

    # -- document ---------------------------------------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        if self.document is not None:
            self.document.listeners.remove(self._on_change)
        self.document = document
        self._images = ()
        if document is not None:
            document.listeners.append(self._on_change)
            mask = _wrap(document.mask.view(np.uint8), QImage.Format.Format_Indexed8, 1)
            mask.setColorTable([0, MASK_COLOUR.rgba()])
            self._images = (
                _wrap(document.image, QImage.Format.Format_RGB888, 3),
                _wrap(document.original, QImage.Format.Format_RGB888, 3),
                mask,
                _wrap(document.sketch, QImage.Format.Format_RGBA8888, 4),
            )
            self.fit()
        self.update()

    def _on_change(self, layer: Layer, box: Box) -> None:
        self.set_compare(False)
        self.update(self._widget_rect(box).adjusted(-2, -2, 2, 2))

    # -- geometry ---------------------------------------------------------------------------------
    def to_image(self, point: QPointF) -> tuple[float, float]:
        return (point.x() - self.offset.x()) / self.zoom, (point.y() - self.offset.y()) / self.zoom

    def _widget_rect(self, box: Box) -> QRect:
        y0, y1, x0, x1 = box
        return QRectF(self.offset.x() + x0 * self.zoom, self.offset.y() + y0 * self.zoom,
                      (x1 - x0) * self.zoom, (y1 - y0) * self.zoom).toAlignedRect()

    def fit(self) -> None:
        if self.document is None:
            return
        h, w = self.document.shape
        zoom = min(self.width() / w, self.height() / h, 1.0) * 0.98
        self.set_zoom(zoom, QPointF(self.width() / 2, self.height() / 2))
        self.offset = QPointF((self.width() - w * self.zoom) / 2, (self.height() - h * self.zoom) / 2)
        self.update()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under ``anchor`` (widget coordinates) where it is."""
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        x, y = self.to_image(anchor)
        self.zoom = zoom
        self.offset = QPointF(anchor.x() - x * zoom, anchor.y() - y * zoom)
        self.zoom_changed.emit(zoom)
        self.update()

    # -- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor(48, 48, 52))
        if self.document is None:
            painter.setPen(QColor(190, 190, 190))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Open a photo (Ctrl+O), drop one here or paste it")
            return
        h, w = self.document.shape
        x0, y0 = self.to_image(QPointF(event.rect().topLeft()))
        x1, y1 = self.to_image(QPointF(event.rect().bottomRight()))
        sx0, sy0 = max(0, int(x0) - 1), max(0, int(y0) - 1)
        sx1, sy1 = min(w, int(x1) + 2), min(h, int(y1) + 2)
        if sx0 < sx1 and sy0 < sy1:
            source = QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0)
            target = QRectF(self._widget_rect((sy0, sy1, sx0, sx1)))
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1)
            image, original, mask, sketch = self._images
            shown = original if self.compare else (self._preview or image)
            painter.drawImage(target, shown, source)
            if not self.compare:
                painter.drawImage(target, mask, source)
                painter.drawImage(target, sketch, source)
        if self.compare:
            self._paint_badge(painter)
        else:
            self._paint_tool_hint(painter)

    def badge_rect(self) -> QRect:
        width = self.fontMetrics().horizontalAdvance(BADGE) + 20
        return QRect(10, 10, width, self.fontMetrics().height() + 10)

    def _paint_badge(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 210))
        painter.drawRoundedRect(QRectF(self.badge_rect()), 6, 6)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(self.badge_rect(), Qt.AlignmentFlag.AlignCenter, BADGE)

    def _paint_tool_hint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1, Qt.PenStyle.DashLine))
        if self._shape and self.tool in _BOX_TOOLS:
            painter.drawRect(QRectF(self._shape[0], self._shape[-1]).normalized())
        elif self._shape and self.tool is Tool.LASSO:
            path = QPainterPath(self._shape[0])
            for point in self._shape[1:]:
                path.lineTo(point)
            painter.drawPath(path)
        elif self.tool not in _SHAPE_TOOLS:
            radius = self.brush.radius * self.zoom
            painter.drawEllipse(self._mouse, radius, radius)

    # -- input ------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        position = event.position()
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = position
            return
        if event.button() != Qt.MouseButton.LeftButton or self.document is None:
            return
        self.set_compare(False)  # what is drawn is seen
        if self.tool in _SHAPE_TOOLS:
            self._shape = [position]
            return
        self._stroke = self.document.begin_stroke(_LAYER[self.tool], self.tool.value.replace("_", " ").capitalize())
        self._last = position
        self._paint_to(position)

    def mouseMoveEvent(self, event) -> None:
        position = event.position()
        hint = QRectF(self._mouse, self._mouse).adjusted(-1, -1, 1, 1)
        self._mouse = position
        x, y = self.to_image(position)
        self.cursor_moved.emit(int(x), int(y))
        if self._pan_from is not None:
            self.offset += position - self._pan_from
            self._pan_from = position
            self.update()
            return
        if self._stroke is not None:
            self._paint_to(position)
        elif self._shape:
            self._shape = [self._shape[0], position] if self.tool in _BOX_TOOLS else [*self._shape, position]
            self.update()
            return
        reach = self.brush.radius * self.zoom + 3
        for centre in (hint.center(), position):
            self.update(QRectF(centre.x() - reach, centre.y() - reach, 2 * reach, 2 * reach).toAlignedRect())

    def _paint_to(self, position: QPointF) -> None:
        erase = self.tool in (Tool.ERASER, Tool.SKETCH_ERASER)
        tools.paint_segment(self._stroke, self.to_image(self._last), self.to_image(position), self.brush, self.colour, erase)
        self._last = position

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            return
        if self._stroke is not None:
            step = self._stroke.end()
            self._stroke = None
            if step is not None:
                self.edited.emit()
        elif self._shape:
            points = [self.to_image(p) for p in self._shape]
            self._shape = []
            if self.tool is Tool.SELECT_OBJECT:
                step = self._select_object(points[0], points[-1])
            elif self.tool is Tool.RECTANGLE and len(points) >= 2:
                step = tools.fill_rectangle(self.document, Layer.MASK, points[0], points[-1])
            else:
                step = tools.fill_polygon(self.document, Layer.MASK, points)
            self.update()
            if step is not None:
                self.edited.emit()

    def _select_object(self, corner0: tuple[float, float], corner1: tuple[float, float]):
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            step = select_object(self.document, corner0, corner1)
        except InputError as error:
            self.status.emit(str(error))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        if step is not None:
            self.status.emit(f"{step.label}. Refine it with the brush (B) and the eraser (E).")
        return step

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.brush_wheel.emit((delta.y() or delta.x()) / 120)  # some platforms turn Alt + wheel sideways
            return
        self.set_zoom(self.zoom * (1.25 ** (delta.y() / 120)), event.position())

    def keyPressEvent(self, event) -> None:
        if event.isAutoRepeat():
            return super().keyPressEvent(event)
        if event.key() == Qt.Key.Key_Space:
            self._space = True
        elif event.key() == COMPARE_KEY:
            self.set_compare(True)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.isAutoRepeat():
            return super().keyReleaseEvent(event)
        if event.key() == Qt.Key.Key_Space:
            self._space = False
        elif event.key() == COMPARE_KEY:
            self.set_compare(False)
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self.set_compare(False)  # the key's release may go elsewhere
        self._space = False
        super().focusOutEvent(event)

    def show_preview(self, preview: np.ndarray | None) -> None:
        """Show an engine's intermediate image (e.g. one CRG cycle); None goes back to the document."""
        self._preview = None if preview is None else _wrap(np.ascontiguousarray(preview), QImage.Format.Format_RGB888, 3).copy()
        self.update()

    def set_compare(self, on: bool) -> None:
        """Show the original photo (True) or the work (False)."""
        if on != self.compare:
            self.compare = on and self.document is not None
            self.update()
