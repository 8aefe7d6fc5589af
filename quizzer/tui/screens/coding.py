"""The coding-task screen: the statement (Markdown), the spec, the hints taken and,
once the task is passed, its explanation on the left; the submission file (its full
path), live judge progress check by check, and the report on the right.

s writes the starter into the submissions folder (`quizzer.tui.submissions`; asking
before it overwrites anything, and naming the file in its judge command), j judges in
a background worker (through the judge service, which entering this screen starts, or
a `quizzer judge --events` subprocess: this process never imports torch), w toggles
watch mode (re-judge when the file is saved; a worker polls its mtime), e opens
$EDITOR, h shows the next hint (each recorded, as the practice screen does), r shows
the reference solution once the task has been passed. Pushed by the home screen.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from quizzer.bank.models import Coding, text_in
from quizzer.errors import QuizzerError
from quizzer.tui import submissions
from quizzer.tui.base import LocalScreen
from quizzer.tui.judging import (
    CheckEvent,
    JudgeOutcome,
    judge_argv,
    run_judge,
    run_judge_service,
)
from quizzer.tui.messages import CheckReported, JudgeFinished
from quizzer.tui.screens.code_view import CodeScreen
from quizzer.tui.screens.confirm import ConfirmScreen
from quizzer.tui.widgets.checks import CheckList


def submission_path(folder: Path, task: Coding) -> Path:
    """The learner's file for `task` in the submissions `folder`."""
    return submissions.submission_path(folder, task.id)


def file_signature(path: Path) -> tuple[int, int] | None:
    """What watch mode compares: modification time and size (None: no file)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def shape_text(shape: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


class CodingScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "key.start"),
        Binding("j", "judge", "key.judge"),
        Binding("w", "watch", "key.watch"),
        Binding("e", "edit", "key.edit"),
        Binding("h", "hint", "key.hint"),
        Binding("r", "reference", "key.reference"),
        Binding("c", "cancel", "key.cancel"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, task: Coding) -> None:
        super().__init__(id="coding")
        self.coding_task = task
        self.watching = False
        self.judging = False
        self.outcome: JudgeOutcome | None = None
        #: Checks the running judgement has reported so far: the screen's state, which
        #: the check list shows (the list itself is rebuilt on a language switch).
        self.reported: list[CheckEvent] = []
        self.status_key = ""
        #: How many of the task's hints this visit has shown (they stay on screen).
        self.hints_shown = 0

    @property
    def path(self) -> Path:
        return submission_path(self.qapp.submissions_dir, self.coding_task)

    def screen_title(self) -> str:
        return f"{self.coding_task.id} · {self.coding_task.class_name}"

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="coding-main"):
            with VerticalScroll(id="statement"):
                yield Markdown(text_in(self.coding_task.prompt, self.lang), id="task-prompt")
                yield Static(self.t("code.spec"), classes="heading")
                yield Static("\n".join(self.spec_lines()), id="spec", markup=False)
                yield Vertical(
                    *(self._hint_widget(tier) for tier in range(self.hints_shown)),
                    id="hints",
                )
                if self.passed:
                    yield from self._explanation_widgets()
            with Vertical(id="judge-panel"):
                yield Static(self._file_line(), id="file-line", markup=False)
                yield Static("", id="judge-status", markup=False)
                yield CheckList(list(self.coding_task.spec.checks), id="checks")
                yield Static("", id="judge-message", markup=False)
                if self.lang != "en":  # said once, where the judge's words appear
                    yield Static(self.t("code.judge_in_english"), id="judge-english", classes="dim")

    @property
    def passed(self) -> bool:
        """Whether the learner has passed this task (now or on an earlier visit)."""
        return self.qapp.store.task_passed(self.coding_task.id)

    def _hint_widget(self, tier: int) -> Markdown:
        hints = self.coding_task.hints
        label = self.t("q.hint", i=tier + 1, n=len(hints))
        return Markdown(f"**{label}:** {text_in(hints[tier], self.lang)}", classes="hint")

    def _explanation_widgets(self) -> list[Static | Markdown]:
        return [
            Static(self.t("q.explanation"), classes="heading", id="explanation-heading"),
            Markdown(text_in(self.coding_task.explanation, self.lang), id="task-explanation"),
        ]

    async def _show_explanation(self) -> None:
        """After a pass: the explanation below the statement (once), scrolled to."""
        found = self.query("#statement")
        if not found or self.query("#task-explanation"):
            return
        statement = found.first(VerticalScroll)
        widgets = self._explanation_widgets()
        await statement.mount_all(widgets)
        widgets[0].scroll_visible(animate=False, top=True)

    def on_mount(self) -> None:
        self._paint_status()
        self.qapp.ensure_judge_service()  # warm by the time the first j comes

    def after_relocalize(self) -> None:
        self._paint_checks()
        self._paint_status()

    def _paint_checks(self) -> None:
        """Show the judgement's checks: those reported so far while it runs, else the
        last outcome's. Nothing to paint while the body is being rebuilt or torn down."""
        found = self.query(CheckList)
        if not found:
            return
        checks = found.first()
        checks.reset(running=self.judging)
        if self.judging:
            for event in self.reported:
                checks.add(event)
        elif self.outcome is not None:
            checks.finish(self.outcome.checks)

    def spec_lines(self) -> list[str]:
        spec, t = self.coding_task.spec, self.t
        lines = []
        if spec.entry != "optimizer":  # an optimiser has no input or output shape
            lines += [
                t("code.input", shape=shape_text(spec.input_shape), dtype=spec.input_dtype),
                t("code.output", shape=shape_text(spec.output_shape)),
                t("code.batches", sizes=", ".join(str(b) for b in spec.batch_sizes)),
            ]
        lines.append(t("code.checks", checks=", ".join(spec.checks)))
        if "learning" in spec.checks:
            learning = spec.learning
            lines.append(
                t(
                    "code.learning",
                    loss=learning.loss,
                    opt=learning.optimizer.name,
                    lr=learning.optimizer.lr,
                    steps=learning.steps,
                    ratio=learning.loss_ratio,
                )
            )
        if spec.forbidden_apis:
            lines.append(t("code.forbidden", apis=", ".join(spec.forbidden_apis)))
        lines.append(t("code.limits", wall=spec.limits.wall_s, mem=spec.limits.memory_mb))
        return lines

    def _file_line(self) -> str:
        if self.path.exists():
            return self.t("code.file", path=self._shown_path())
        return self.t("code.file_missing", path=self._shown_path())

    def _shown_path(self) -> str:
        return submissions.shown(self.path)

    def _paint_status(self) -> None:
        parts = []
        if self.judging:
            parts.append(self.t("code.judging"))
        elif self.outcome is not None:
            parts.append(self.t(f"code.result.{self.outcome.status}"))
        if self.watching:
            parts.append(f"[{self.t('code.watching')}]")
        found = self.query("#judge-status")
        if not found:  # the body is being rebuilt (language switch) or torn down (quit)
            return
        status = found.first(Static)
        status.update(" ".join(parts))
        for cls in ("-pass", "-fail", "-error"):
            status.remove_class(cls)
        if self.outcome is not None and not self.judging:
            status.add_class(f"-{self.outcome.status}")
        message = self.outcome.message if self.outcome and not self.judging else ""
        self.query_one("#judge-message", Static).update(message)
        self.query_one("#file-line", Static).update(self._file_line())

    # --- start ------------------------------------------------------------------

    def action_start(self) -> None:
        task, path = self.coding_task, self.path
        try:
            starter = self.qapp.bank.resolve(task.id, task.starter).read_text("utf-8")
        except (QuizzerError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        starter = submissions.personalised(starter, path, task.id)
        if path.exists():
            if path.read_text("utf-8", errors="replace") == starter:
                self.notify(self.t("code.kept", path=self._shown_path()))
                return

            def decided(yes: bool | None) -> None:
                if yes:
                    self._write_starter(starter)
                else:
                    self.notify(self.t("code.kept", path=self._shown_path()))

            question = self.t("code.overwrite", path=self._shown_path())
            self.app.push_screen(ConfirmScreen(question), decided)
            return
        self._write_starter(starter)

    def _write_starter(self, starter: str) -> None:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(starter, encoding="utf-8")
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror}", severity="error")
            return
        self.notify(self.t("code.started", path=self._shown_path()))
        self._paint_status()

    # --- judging ----------------------------------------------------------------

    def action_judge(self) -> None:
        if not self.path.exists():
            self.notify(self.t("code.no_file"), severity="warning")
            return
        self.judge()

    @work(exclusive=True, group="judge")
    async def judge(self) -> JudgeOutcome | None:
        app = self.qapp
        self.judging = True
        self.outcome = None
        self.reported = []
        self._paint_checks()
        self._paint_status()
        argv = judge_argv(app.judge_command, self.path, self.coding_task.id)

        def on_check(event: CheckEvent) -> None:
            self.reported.append(event)
            found = self.query(CheckList)
            if found:
                found.first().add(event)
            self.post_message(CheckReported(self.coding_task.id, event))

        service = app.judge_service()
        try:
            if service is not None:
                outcome = await run_judge_service(
                    service, self.path, self.coding_task.id, on_check, env=app.judge_env()
                )
            else:
                outcome = await run_judge(argv, on_check, cwd=app.judge_cwd, env=app.judge_env())
        except asyncio.CancelledError:
            self.judging = False
            if self.is_attached and self.app.is_running:
                self._paint_checks()
                self._paint_status()
                self.notify(self.t("code.cancelled"))
            raise
        except OSError as exc:
            outcome = JudgeOutcome("error", f"cannot start the judge: {exc}", (), None, None)
        self.judging = False
        self.outcome = outcome
        self._paint_checks()
        self._paint_status()
        app.store.record_task_result(
            self.coding_task.id,
            str(self.path),
            outcome.status,
            outcome.message[:500],
            when=app.now(),
        )
        self.post_message(JudgeFinished(self.coding_task.id, outcome))
        if outcome.status == "pass":
            await self._show_explanation()
        return outcome

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "judge")

    # --- watch mode -------------------------------------------------------------

    def action_watch(self) -> None:
        if self.watching:
            self.watching = False
            self.workers.cancel_group(self, "watch")
            self.notify(self.t("code.watch_off"))
        else:
            self.watching = True
            self.notify(self.t("code.watch_on"))
            self.watch_file()
        self._paint_status()

    @work(exclusive=True, group="watch")
    async def watch_file(self) -> None:
        last = file_signature(self.path)
        if last is not None and self.outcome is None and not self.judging:
            self.judge()
        while True:
            await asyncio.sleep(self.qapp.watch_interval)
            now = file_signature(self.path)
            if now != last:
                last = now
                if now is not None:
                    self.notify(self.t("code.changed"))
                    self.judge()

    # --- editor, hints and reference -------------------------------------------

    def action_edit(self) -> None:
        path = self.path
        if not path.exists():
            self.notify(self.t("code.no_file"), severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        before = file_signature(path)
        try:
            with self.app.suspend():
                code = subprocess.call([*shlex.split(editor), str(path)])
        except SuspendNotSupported as exc:
            self.notify(self.t("code.no_editor", why=exc), severity="error")
            return
        except OSError as exc:
            self.notify(self.t("code.no_editor", why=exc.strerror), severity="error")
            return
        if code != 0:
            self.notify(self.t("code.editor_failed", code=code), severity="warning")
        if not self.watching and file_signature(path) != before:
            self.judge()

    async def action_hint(self) -> None:
        """The next hint tier, recorded as a concept question's is (unless the task
        is already passed: a hint then helps nobody's score)."""
        hints = self.coding_task.hints
        if not hints:
            self.notify(self.t("code.no_hints"))
            return
        if self.hints_shown >= len(hints):
            self.notify(self.t("q.no_more_hints"))
            return
        self.hints_shown += 1
        if not self.passed:
            self.qapp.store.record_hint(self.coding_task.id, self.hints_shown, when=self.qapp.now())
        found = self.query("#hints")
        if found:
            widget = self._hint_widget(self.hints_shown - 1)
            await found.first(Vertical).mount(widget)
            widget.scroll_visible(animate=False)

    def action_reference(self) -> None:
        if not self.passed:
            self.notify(self.t("code.reference_locked"), severity="warning")
            return
        try:
            code = self.qapp.bank.resolve(
                self.coding_task.id, self.coding_task.reference
            ).read_text("utf-8")
        except (QuizzerError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.push_screen(CodeScreen(self.t("code.reference"), code))

    def action_back(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss()
