"""The training tab: `main.py train` as a child process (a crash there cannot take the editor down), live loss curves
(their legend beside, never over them), the latest sample grid, speed and ETA, the log; Stop (checkpoint and exit),
Resume, Evaluate, Install as weights. Engines are listed by title; paths have Browse buttons; Start and Evaluate
check their fields first and say what is missing instead of launching a run that fails."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.widgets import narrow_combo, path_row, pick_file, pick_folder
from engines import registry
from engines.training.families import TRAINERS

ROOT = Path(__file__).resolve().parent.parent  # holds inpaint_editor.py, checked out or installed
ENTRY = ("-m", "inpaint_editor")  # the command line the training runs through (main.py's, installed or not)
CURVE_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


def trainer_title(name: str) -> str:
    """What the Engine tab calls it; the quality discriminator is no engine of its own."""
    from engines.crg import SCORER_FOLDER, SCORER_TITLE

    return SCORER_TITLE if name == SCORER_FOLDER else registry.spec(name).title


def has_nvidia_gpu() -> bool:
    """Without importing torch (slow): the NVIDIA driver's files say whether a GPU is there."""
    return Path("/proc/driver/nvidia/gpus").is_dir() or shutil.which("nvidia-smi") is not None


class TrainingPanel(QWidget):
    weights_installed = Signal(str)  # engine name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = narrow_combo(QComboBox())
        for name in TRAINERS:
            self.engine.addItem(trainer_title(name), name)
        self.domain = QComboBox()
        self.domain.setToolTip("The weight set to train, for engines with several (regionwise: faces or scenes)")
        self.engine.currentIndexChanged.connect(lambda _: self._engine_chosen(self.engine.currentData()))
        self._engine_chosen(self.engine.currentData())
        self.data, self.masks, self.landmarks, self.run = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.val, self.val_masks = QLineEdit(), QLineEdit()
        self.masks.setPlaceholderText("hole masks folder (lskfnet; generated strokes are always added)")
        self.landmarks.setPlaceholderText("landmarks .npz of the data folder (maskedface: main.py landmarks)")
        self.val_masks.setPlaceholderText("eval: masks folder (lskfnet) or val landmarks .npz (maskedface)")
        # 0 = "default": the value then comes from TrainConfig and the engine's own (paper) settings, written down once
        self.size, self.steps, self.batch, self.width, self.gpus = (QSpinBox() for _ in range(5))
        for box, high in ((self.size, 512), (self.steps, 10**7), (self.batch, 4096), (self.width, 128)):
            box.setRange(0, high)
            box.setSpecialValueText("default")
        self.gpus.setRange(1, 64)
        self.minutes, self.lr = QDoubleSpinBox(), QDoubleSpinBox()
        self.minutes.setRange(0, 10**5)
        self.minutes.setSpecialValueText("no limit")
        self.minutes.setToolTip("End the run this long after it starts, every phase of the engine trained inside that time")
        self.lr.setDecimals(6)
        self.lr.setRange(0, 1.0)
        self.lr.setSingleStep(1e-5)
        self.lr.setSpecialValueText("engine default")
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.start_button, self.stop_button, self.resume_button = QPushButton("Start"), QPushButton("Stop"), QPushButton("Resume")
        self.eval_button, self.install_button = QPushButton("Evaluate"), QPushButton("Install as weights")
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.stop_button.clicked.connect(self.stop)
        self.eval_button.clicked.connect(self.evaluate)
        self.install_button.clicked.connect(self.install)
        self.device_note = QLabel("" if has_nvidia_gpu() else
                                  "No NVIDIA GPU found: training runs on the CPU at about 1-3 images/s (bench/learned.py), "
                                  "fine for a smoke run; a real run needs a GPU.")
        self.device_note.setWordWrap(True)
        self.speed = QLabel("")
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #b00020;")
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(200)
        self.plot.setLabel("bottom", "step")
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.sample = QLabel()
        self.sample.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample.setMinimumHeight(160)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setMaximumHeight(140)

        form = QFormLayout()
        form.addRow("Engine", self.engine)
        form.addRow("Domain", self.domain)
        self.browse: dict[str, QPushButton] = {}
        npz = "Landmarks (*.npz)"
        for label, edit, pick in (("Images", self.data, None), ("Masks", self.masks, None), ("Landmarks", self.landmarks, npz),
                                  ("Run folder", self.run, None), ("Eval images", self.val, None), ("Eval masks", self.val_masks, npz)):
            row = path_row(edit, lambda _=False, e=edit, p=pick, t=label: self._browse(e, t, p))
            self.browse[label] = row.browse
            form.addRow(label, row)
        numbers = QGridLayout()
        for index, (label, widget) in enumerate((("Size", self.size), ("Steps", self.steps), ("Minutes", self.minutes),
                                                 ("Batch", self.batch), ("Rate", self.lr), ("Width", self.width),
                                                 ("Device", self.device), ("GPUs", self.gpus))):
            widget.setMinimumWidth(0)
            widget.setToolTip({"Rate": "Learning rate", "Width": "Generator width (channels)"}.get(label, label))
            numbers.addWidget(QLabel(label), index // 2, 2 * (index % 2))
            numbers.addWidget(widget, index // 2, 2 * (index % 2) + 1)
        numbers.setColumnStretch(1, 1)
        numbers.setColumnStretch(3, 1)
        form.addRow(numbers)
        buttons = QGridLayout()
        for index, button in enumerate((self.start_button, self.stop_button, self.resume_button, self.eval_button,
                                        self.install_button)):
            buttons.addWidget(button, index // 3, index % 3, 1, 2 if index == 4 else 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.notice)
        layout.addWidget(self.device_note)
        layout.addWidget(self.speed)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.legend)
        layout.addWidget(self.sample, 1)
        layout.addWidget(self.log, 1)

        self.process: QProcess | None = None
        self.weights_dir: Path | None = None  # where Install puts weights (None: the project's weights/)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self._offset = 0
        self._last_entry: dict | None = None
        self._sample_shown = ""
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self._set_running(False)

    def _engine_chosen(self, engine: str) -> None:
        domains = registry.spec(engine).domains if engine in registry.names() else ()
        self.domain.clear()
        for domain in domains:
            self.domain.addItem(domain.title, domain.name)
        self.domain.setEnabled(bool(domains))

    def select_engine(self, name: str) -> None:
        self.engine.setCurrentIndex(self.engine.findData(name))

    def _browse(self, edit: QLineEdit, title: str, pattern: str | None) -> None:
        """Folders; the landmark fields take an .npz (eval masks: a masks folder or, for maskedface, an .npz)."""
        if pattern is None or (edit is self.val_masks and self.engine.currentData() != "maskedface"):
            pick_folder(self, edit, title)
        else:
            pick_file(self, edit, title, pattern)

    def _domain_arguments(self) -> list[str]:
        return ["--domain", self.domain.currentData()] if self.domain.currentData() else []

    # -- running ----------------------------------------------------------------------------------
    def _run_folder(self) -> Path:
        return Path(self.run.text().strip())

    def _has_checkpoint(self) -> bool:
        return bool(self.run.text().strip()) and (self._run_folder() / "checkpoint").is_dir()

    def train_arguments(self, resume: bool) -> list[str]:
        """Only what the user set: every other setting keeps its one default (TrainConfig, the engine's trainer)."""
        args = ["train", self.engine.currentData(), "--data", self.data.text().strip(), "--out", self.run.text().strip(),
                "--device", self.device.currentText(), "--checkpoint-minutes", "2", "--export-every", "10"]
        for flag, box in (("--steps", self.steps), ("--minutes", self.minutes), ("--batch", self.batch), ("--lr", self.lr),
                          ("--size", self.size), ("--base", self.width)):
            if box.value():
                args += [flag, str(box.value())]
        if self.steps.value():
            args += ["--log-every", str(max(1, self.steps.value() // 200)), "--sample-every", str(max(1, self.steps.value() // 20))]
        for flag, edit in (("--masks", self.masks), ("--landmarks", self.landmarks)):
            if edit.text().strip():
                args += [flag, edit.text().strip()]
        return args + self._domain_arguments() + (["--resume"] if resume else [])

    def _problem(self, checks: list[tuple[bool, str]]) -> bool:
        """Show the first failed check's sentence; True when there is one (nothing is launched then)."""
        problem = next((message for ok, message in checks if not ok), "")
        self.notice.setText(problem)
        if problem:
            self.log.appendPlainText(problem)
        return bool(problem)

    def _folder_given(self, edit: QLineEdit) -> bool:
        return bool(edit.text().strip()) and Path(edit.text().strip()).is_dir()

    def start(self, resume: bool) -> None:
        if self.running:
            return
        if self._problem([(self._folder_given(self.data), "Choose the folder of training images (Images) first."),
                          (bool(self.run.text().strip()), "Choose a run folder first (it is created)."),
                          (not resume or self._has_checkpoint(), "Resume needs a run folder with a checkpoint; Start a run first.")]):
            return
        (self._run_folder() / "STOP").unlink(missing_ok=True)
        if not resume:
            self._reset_curves()
        args = [*ENTRY, *self.train_arguments(resume)]
        if self.gpus.value() > 1:
            args = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={self.gpus.value()}", *args]
        self._launch(args, self._training_finished)
        self.timer.start(1000)

    def _launch(self, args: list[str], on_finished) -> None:
        self.process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()  # the editor's folder, relative paths as typed
        environment.insert("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), environment.value("PYTHONPATH")])))
        self.process.setProcessEnvironment(environment)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(on_finished)
        self.log.appendPlainText("$ python " + " ".join(args))
        self.process.start(sys.executable, args)
        self._set_running(True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Ask the run to write a checkpoint and exit (it checks for a STOP file after every step)."""
        if self.running:
            self._run_folder().mkdir(parents=True, exist_ok=True)
            (self._run_folder() / "STOP").touch()
            self.log.appendPlainText("Stopping after this step; a checkpoint will be saved.")

    def evaluate(self) -> None:
        if self.running or self._problem([
            (self._has_checkpoint(), "Evaluate needs a run folder with a checkpoint (Run folder); train one first."),
            (self._folder_given(self.val), "Choose the folder of evaluation images (Eval images)."),
            (bool(self.val_masks.text().strip()) and Path(self.val_masks.text().strip()).exists(),
             "Choose the evaluation masks (Eval masks): a masks folder, or a landmarks .npz for maskedface."),
        ]):
            return
        engine, run = self.engine.currentData(), self.run.text().strip()
        kind = "--face-masks" if self.val_masks.text().strip().endswith(".npz") else "--masks"
        args = [*ENTRY, "eval", engine, "--run", run, "--images", self.val.text().strip(), kind,
                self.val_masks.text().strip(), "--limit", "50", "--device", self.device.currentText(), *self._domain_arguments()]
        self._launch(args, lambda code, status: self._set_running(False))

    def install(self) -> None:
        if self.running or self._problem([(self._has_checkpoint(), "Install needs a run folder with a checkpoint (Run folder).")]):
            return
        engine = self.engine.currentData()
        args = [*ENTRY, "export", self.run.text().strip(), "--engine", engine]
        if self.weights_dir is not None:
            args += ["--to", str(self.weights_dir)]

        def finished(code: int, status) -> None:
            self._set_running(False)
            if code == 0:
                self.weights_installed.emit(engine)

        self._launch(args, finished)

    def _training_finished(self, code: int, status) -> None:
        self.poll()
        self.timer.stop()
        self._set_running(False)
        self.log.appendPlainText(f"Training process ended (exit code {code}).")

    def _set_running(self, running: bool) -> None:
        for button in (self.start_button, self.resume_button, self.eval_button, self.install_button):
            button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def _read_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        for line in text.replace("\r", "\n").splitlines():
            if line.strip():
                self.log.appendPlainText(line)

    # -- live view --------------------------------------------------------------------------------
    def _reset_curves(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.curves.clear()
        self.series.clear()
        self._offset = 0
        self._last_entry = None

    def poll(self) -> None:
        """Read the metrics written since the last poll; show the newest sample grid."""
        metrics = self._run_folder() / "metrics.jsonl"
        if metrics.is_file():
            with metrics.open() as f:
                f.seek(self._offset)
                lines = f.read().splitlines()
                self._offset = f.tell()
            for line in lines:
                self._add_metrics(json.loads(line))
        samples = sorted((self._run_folder() / "samples").glob("*.png")) if (self._run_folder() / "samples").is_dir() else []
        if samples and str(samples[-1]) != self._sample_shown:
            self._sample_shown = str(samples[-1])
            pixmap = QPixmap(self._sample_shown)
            self.sample.setPixmap(pixmap.scaledToHeight(min(pixmap.height(), 240), Qt.TransformationMode.SmoothTransformation))

    def _show_legend(self) -> None:
        """The curves' names in their colours, below the plot: every name readable, no curve hidden."""
        names = [f"<span style='color:{CURVE_COLOURS[i % len(CURVE_COLOURS)]}'>&#9632;</span>&nbsp;{key}"
                 for i, key in enumerate(self.curves)]
        self.legend.setText(" &nbsp; ".join(names))

    def _add_metrics(self, entry: dict) -> None:
        if "event" in entry:
            return
        step = entry["step"]
        plotted = "gen_" if any(key.startswith("gen_") for key in entry) else "dis_"  # a lone discriminator logs dis_ only
        for key, value in entry.items():
            if not key.startswith(plotted):
                continue
            xs, ys = self.series.setdefault(key, ([], []))
            xs.append(step)
            ys.append(value)
            if key not in self.curves:
                self.curves[key] = self.plot.plot(name=key, pen=CURVE_COLOURS[len(self.curves) % len(CURVE_COLOURS)])
                self._show_legend()
            self.curves[key].setData(xs, ys)
        progress, elapsed = entry.get("progress", 0.0), entry.get("elapsed", 0.0)
        previous, self._last_entry = self._last_entry, entry
        steps_per_s = ((step - previous["step"]) / max(elapsed - previous["elapsed"], 1e-9)
                       if previous and previous["step"] < step and "elapsed" in previous else float("nan"))
        remaining = elapsed * (1 - progress) / progress if progress > 0 else float("nan")
        memory = f", GPU memory {entry['gpu_mem_gb']:.1f} GB" if "gpu_mem_gb" in entry else ""
        self.speed.setText(f"step {step} ({100 * progress:.0f} %, {entry.get('phase', '')}): {steps_per_s:.2f} steps/s, "
                           f"{entry.get('images_per_s', 0.0):.0f} images/s, ETA {remaining / 60:.1f} min{memory}")
