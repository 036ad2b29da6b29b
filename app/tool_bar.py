"""The tool bar: painting tools (with their keys), brush size and hardness, sketch colour."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QPixmap, QIcon
from PySide6.QtWidgets import QColorDialog, QLabel, QSlider, QToolBar, QToolButton

from app import tools
from app.canvas import Canvas, Tool

_TOOLS = (
    (Tool.BRUSH, "Brush", "B", "Paint the area to fill"),
    (Tool.ERASER, "Eraser", "E", "Erase the mask"),
    (Tool.RECTANGLE, "Rectangle", "R", "Drag a rectangle into the mask"),
    (Tool.LASSO, "Lasso", "L", "Draw a closed shape into the mask"),
    (Tool.SELECT_OBJECT, "Select object", "O", "Drag a box around an object: the mask grows to cover it"),
    (Tool.PEN, "Sketch pen", "P", "Draw guidance strokes (for engines that read a sketch)"),
    (Tool.SKETCH_ERASER, "Sketch eraser", "Shift+E", "Erase sketch strokes"),
)
MAX_RADIUS = 300


class ToolBar(QToolBar):
    def __init__(self, canvas: Canvas, parent=None) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("tools")
        self.canvas = canvas
        self.group = QActionGroup(self)
        self.actions_by_tool: dict[Tool, QAction] = {}
        for tool, text, key, tip in _TOOLS:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, t=tool: self.select(t))
            self.group.addAction(action)
            self.addAction(action)
            self.actions_by_tool[tool] = action
        self.actions_by_tool[Tool.BRUSH].setChecked(True)
        self.addSeparator()
        self.size_label = QLabel()
        self.size = QSlider(Qt.Orientation.Horizontal)
        self.size.setRange(1, MAX_RADIUS)
        self.size.setFixedWidth(140)
        self.size.setToolTip("Brush size ([ and ])")
        self.size.valueChanged.connect(self._brush_changed)
        self.hardness = QSlider(Qt.Orientation.Horizontal)
        self.hardness.setRange(0, 100)
        self.hardness.setValue(100)
        self.hardness.setFixedWidth(90)
        self.hardness.setToolTip("Hardness of the sketch pen's edge (the mask is always hard)")
        self.hardness.valueChanged.connect(self._brush_changed)
        self.colour_button = QToolButton()
        self.colour_button.setToolTip("Sketch colour")
        self.colour_button.clicked.connect(self.pick_colour)
        self.addWidget(self.size_label)
        self.addWidget(self.size)
        self.addWidget(QLabel(" Hardness "))
        self.addWidget(self.hardness)
        self.addWidget(self.colour_button)
        self.bigger = QAction("Bigger Brush", self, shortcut=QKeySequence("]"), triggered=lambda: self.step_size(1.25))
        self.smaller = QAction("Smaller Brush", self, shortcut=QKeySequence("["), triggered=lambda: self.step_size(0.8))
        self.size.setValue(round(canvas.brush.radius))
        self._show_colour()

    def add_tool_menu(self, menu) -> None:
        for action in self.group.actions():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.bigger)
        menu.addAction(self.smaller)

    def select(self, tool: Tool) -> None:
        self.canvas.tool = tool
        self.actions_by_tool[tool].setChecked(True)
        self.canvas.update()

    def step_size(self, factor: float) -> None:
        value = self.size.value()
        new = round(value * factor)
        self.size.setValue(new if new != value else value + (1 if factor > 1 else -1))

    def _brush_changed(self) -> None:
        self.canvas.brush = tools.Brush(radius=float(self.size.value()), hardness=self.hardness.value() / 100)
        self.size_label.setText(f" Size {self.size.value()} px ")
        self.canvas.update()

    def pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.canvas.colour), self, "Sketch colour")
        if colour.isValid():
            self.canvas.colour = (colour.red(), colour.green(), colour.blue(), 255)
            self._show_colour()

    def _show_colour(self) -> None:
        swatch = QPixmap(16, 16)
        swatch.fill(QColor(*self.canvas.colour))
        self.colour_button.setIcon(QIcon(swatch))

    def enable_sketch(self, enabled: bool) -> None:
        """Sketch tools only for engines whose spec reads a sketch or colour strokes."""
        for tool in (Tool.PEN, Tool.SKETCH_ERASER):
            self.actions_by_tool[tool].setEnabled(enabled)
        self.colour_button.setEnabled(enabled)
        self.hardness.setEnabled(enabled)
        if not enabled and self.canvas.tool in (Tool.PEN, Tool.SKETCH_ERASER):
            self.select(Tool.BRUSH)
