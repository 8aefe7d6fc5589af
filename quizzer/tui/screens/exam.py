"""The exam screen: a timed run through an `ExamPlan` with no feedback until the
end. Answers are kept as they are picked or typed; the clock finishes the exam when
it runs out. Then the exam is graded, stored, and the result screen replaces this.

Pushed by the app (`action_exam`, or `make_app(..., exam=plan)` for a screen file).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from quizzer.tui.base import LocalScreen
from quizzer.tui.exam import ExamAnswer, ExamPlan, answers_document, grade_exam
from quizzer.tui.screens.confirm import ConfirmScreen
from quizzer.tui.widgets.answers import ANSWER_ID, AnswerSubmitted, build_answer, current_value
from quizzer.tui.widgets.choices import ChoiceList
from quizzer.tui.widgets.question import question_body, question_header


class ExamScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "next", "key.next"),
        Binding("p,left", "previous", "key.prev"),
        Binding("f", "finish", "exam.finish"),
        Binding("escape", "finish", show=False),
    ]

    def __init__(self, plan: ExamPlan) -> None:
        super().__init__(id="exam")
        self.plan = plan
        self.answers: list[ExamAnswer] = []
        self.index = 0
        self.started_at: datetime | None = None
        self._start = 0.0
        self._shown_at = 0.0
        self._timer: Timer | None = None
        self.finished = False
        #: The wall-clock end of a resumable exam (None: the monotonic timer decides).
        self.ends_at: datetime | None = None

    def on_mount(self) -> None:
        app = self.qapp
        self.answers = [ExamAnswer(app.bank.get(qid)) for qid in self.plan.question_ids]
        self.started_at = app.now()
        self._start = self._shown_at = app.timer()
        self._resume()
        self._timer = self.set_interval(1.0, self.tick)
        self.call_after_refresh(self._refresh_question)

    def _resume(self) -> None:
        """With a resume key: the end time and the answers kept by an earlier run of
        this exam, else an end time fixed now. The clock is wall time, so a restart
        does not give more of it."""
        key = self.plan.resume_key
        if key is None:
            return
        kept = self.qapp.store.get_setting(key) or {}
        try:
            self.ends_at = datetime.fromisoformat(str(kept["ends_at"]))
            self.started_at = datetime.fromisoformat(str(kept["started_at"]))
        except (KeyError, ValueError):
            self.ends_at = self.qapp.now() + timedelta(seconds=self.plan.time_limit_s)
            self._keep()
            return
        given = kept.get("responses") if isinstance(kept, dict) else None
        responses: dict = given if isinstance(given, dict) else {}
        for answer in self.answers:
            answer.response = responses.get(answer.question.id, answer.response)
        self.notify(self.t("exam.resumed"))

    def _keep(self) -> None:
        key = self.plan.resume_key
        if key is None or self.ends_at is None or self.started_at is None:
            return
        self.qapp.store.set_setting(
            key,
            {
                "started_at": self.started_at.isoformat(),
                "ends_at": self.ends_at.isoformat(),
                "responses": {a.question.id: a.response for a in self.answers if a.answered},
            },
        )

    def screen_title(self) -> str:
        return self.t("exam.title", title=self.plan.title)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="exam-status", markup=False)
        yield VerticalScroll(id="exam-question")

    @property
    def remaining(self) -> float:
        if self.ends_at is not None:
            return (self.ends_at - self.qapp.now()).total_seconds()
        return self.plan.time_limit_s - (self.qapp.timer() - self._start)

    def _status(self) -> str:
        left = max(0, int(self.remaining))
        answered = sum(1 for a in self.answers if a.answered)
        return " · ".join(
            [
                self.t("exam.left", m=left // 60, s=left % 60),
                self.t("exam.answered", k=answered, n=len(self.answers)),
            ]
        )

    async def tick(self) -> None:
        if self.finished:
            return
        if self.remaining <= 0:
            if self._timer is not None:
                self._timer.stop()
            self.notify(self.t("exam.time_up"), severity="warning")
            # Not from inside this screen's own timer callback: replacing the screen
            # while it handles its own timer tore down its header mid-update (a crash
            # when the clock ran out). The app switches screens on its next turn.
            self.app.call_later(self.finish, timed_out=True)
            return
        self.query_one("#exam-status", Static).update(self._status())

    async def _refresh_question(self) -> None:
        if not self.answers:
            return
        answer = self.answers[self.index]
        box = self.query_one("#exam-question", VerticalScroll)
        await box.remove_children()
        header = question_header(answer.question, self.lang, self.index, len(self.answers))
        widgets = [
            Static(header, id="position", markup=False),
            *question_body(answer.question, self.lang, dark=self.app.current_theme.dark),
            build_answer(answer.question, self.lang, answer.response),
        ]
        await box.mount_all(widgets)
        self.query_one("#exam-status", Static).update(self._status())
        self.set_focus(self.query_one(f"#{ANSWER_ID}"))
        self._shown_at = self.qapp.timer()

    async def relocalize(self) -> None:
        self._save()
        await super().relocalize()

    def after_relocalize(self) -> None:
        self.call_after_refresh(self._refresh_question)

    def _save(self) -> None:
        """Keep what the answer widget holds now, and the time spent on it."""
        if not self.answers or self.finished:
            return
        answer = self.answers[self.index]
        answer.seconds += max(0.0, self.qapp.timer() - self._shown_at)
        self._shown_at = self.qapp.timer()
        found = self.query(f"#{ANSWER_ID}")
        if found:
            answer.response = current_value(found.first(), answer.question)
        self.query_one("#exam-status", Static).update(self._status())
        self._keep()

    def on_choice_list_changed(self, event: ChoiceList.Changed) -> None:
        self._save()

    async def on_choice_list_submitted(self, event: ChoiceList.Submitted) -> None:
        event.stop()
        await self.action_next()

    async def on_answer_submitted(self, event: AnswerSubmitted) -> None:
        event.stop()
        await self.action_next()

    async def action_next(self) -> None:
        self._save()
        if self.index + 1 < len(self.answers):
            self.index += 1
            await self._refresh_question()
        else:
            self.notify(self.t("exam.saved"))

    async def action_previous(self) -> None:
        self._save()
        if self.index > 0:
            self.index -= 1
            await self._refresh_question()

    def action_finish(self) -> None:
        self._save()
        answered = sum(1 for a in self.answers if a.answered)
        question = self.t("exam.finish_confirm", k=answered, n=len(self.answers))

        async def decided(yes: bool | None) -> None:
            if yes:
                await self.finish()

        self.app.push_screen(ConfirmScreen(question), decided)

    async def finish(self, *, timed_out: bool = False) -> None:
        if self.finished:
            return
        self._save()
        self.finished = True
        if self._timer is not None:
            self._timer.stop()
        app = self.qapp
        assert self.started_at is not None
        result = grade_exam(
            self.plan, self.answers, self.started_at, app.now(), lang=self.lang, timed_out=timed_out
        )
        if self.plan.resume_key is not None:
            app.store.set_setting(self.plan.resume_key, {"finished": True})
        app.store.record_exam(
            title=self.plan.title,
            started_at=result.started_at,
            finished_at=result.finished_at,
            time_limit_s=self.plan.time_limit_s,
            score=result.score,
            max_score=result.max_score,
            answers=answers_document(result)["answers"],
        )
        from quizzer.tui.screens.exam_result import ExamResultScreen

        await self.app.switch_screen(ExamResultScreen(result))
