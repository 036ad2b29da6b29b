"""The tool bar: painting tools (with their keys), brush size (relative to the photo, remembered, Alt + wheel),
hardness (sketch tools only: the mask is binary), sketch colour, and Compare (hold to see the original)."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
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
SKETCH_TOOLS = (Tool.PEN, Tool.SKETCH_ERASER)
BRUSH_SETTING = "brush/fraction"  # the brush radius as a share of the photo's longer side


class ToolBar(QToolBar):
    def __init__(self, canvas: Canvas, settings: QSettings, parent=None) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("tools")
        self.canvas, self.settings = canvas, settings
        self._photo_shape: tuple[int, int] | None = None
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
        self.size.setRange(1, tools.MIN_MAX_RADIUS)
        self.size.setFixedWidth(120)
        self.size.setToolTip("Brush size: [ and ], or Alt + wheel on the photo")
        self.size.valueChanged.connect(self._brush_changed)
        self.hardness_label = QLabel(" Hardness ")
        self.hardness = QSlider(Qt.Orientation.Horizontal)
        self.hardness.setRange(0, 100)
        self.hardness.setValue(100)
        self.hardness.setFixedWidth(70)
        self.hardness.setToolTip("Hardness of the sketch pen's edge (the mask is always hard)")
        self.hardness.valueChanged.connect(self._brush_changed)
        self.colour_button = QToolButton()
        self.colour_button.setToolTip("Sketch colour")
        self.colour_button.clicked.connect(self.pick_colour)
        self.compare_button = QToolButton()
        self.compare_button.setText("Compare")
        self.compare_button.setToolTip("Hold to see the original photo (or hold \\ on the photo)")
        self.compare_button.pressed.connect(lambda: self.canvas.set_compare(True))
        self.compare_button.released.connect(lambda: self.canvas.set_compare(False))
        for widget in (self.size_label, self.size, self.hardness_label, self.hardness, self.colour_button):
            self.addWidget(widget)
        self.addSeparator()
        self.addWidget(self.compare_button)
        self.bigger = QAction("Bigger Brush", self, shortcut=QKeySequence("]"), triggered=lambda: self.step_size(1.25))
        self.smaller = QAction("Smaller Brush", self, shortcut=QKeySequence("["), triggered=lambda: self.step_size(0.8))
        canvas.brush_wheel.connect(lambda steps: self.step_size(1.25 ** steps))
        self.size.setValue(round(canvas.brush.radius))
        self._show_colour()
        self._enable_for_tool()

    def add_tool_menu(self, menu) -> None:
        for action in self.group.actions():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.bigger)
        menu.addAction(self.smaller)

    def select(self, tool: Tool) -> None:
        self.canvas.tool = tool
        self.actions_by_tool[tool].setChecked(True)
        self._enable_for_tool()
        self.canvas.update()

    # -- brush size -------------------------------------------------------------------------------
    def set_photo(self, shape: tuple[int, int]) -> None:
        """A photo was opened: the brush keeps its size relative to the photo (as last set, remembered)."""
        self._photo_shape = None  # no remembering while the slider follows the new photo
        fraction = float(self.settings.value(BRUSH_SETTING, tools.BRUSH_FRACTION))
        self.size.setMaximum(tools.max_brush_radius(shape))
        self.size.setValue(tools.brush_radius(shape, fraction))
        self._photo_shape = shape

    def step_size(self, factor: float) -> None:
        value = self.size.value()
        new = round(value * factor)
        self.size.setValue(new if new != value else value + (1 if factor > 1 else -1))

    def _brush_changed(self) -> None:
        self.canvas.brush = tools.Brush(radius=float(self.size.value()), hardness=self.hardness.value() / 100)
        self.size_label.setText(f" Size {self.size.value()} px ")
        if self._photo_shape is not None:
            self.settings.setValue(BRUSH_SETTING, self.size.value() / max(self._photo_shape))
        self.canvas.update()

    # -- sketch -----------------------------------------------------------------------------------
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
        for tool in SKETCH_TOOLS:
            self.actions_by_tool[tool].setEnabled(enabled)
        if not enabled and self.canvas.tool in SKETCH_TOOLS:
            self.select(Tool.BRUSH)
        self._enable_for_tool()

    def _enable_for_tool(self) -> None:
        """Hardness only where it does something (the sketch tools); the colour swatch only with the sketch tools."""
        sketching = self.canvas.tool in SKETCH_TOOLS
        self.hardness.setEnabled(sketching)
        self.hardness_label.setEnabled(sketching)
        self.colour_button.setEnabled(self.actions_by_tool[Tool.PEN].isEnabled())
