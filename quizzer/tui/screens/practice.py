"""The concept practice screen: one question at a time from a `Session`, answered
with the widget that fits its type, then graded with feedback, the explanation and
references. Hints on demand (each one recorded), next / previous / skip, bookmarks.
Every answer is stored and moves the question's FSRS review schedule.

Pushed by the home screen (practice, learn new, review, bookmarks, continue).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from fsrs import Rating
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Markdown, Static, TextArea

from quizzer.bank.grading import Grade, grade, self_assess
from quizzer.bank.models import Open, Question, text_in
from quizzer.store.srs import derive_rating, self_rating_score
from quizzer.tui.base import LocalScreen
from quizzer.tui.i18n import in_time
from quizzer.tui.messages import Answered
from quizzer.tui.session import QuestionState, Session
from quizzer.tui.widgets.answers import (
    ANSWER_ID,
    AnswerSubmitted,
    build_answer,
    current_value,
    lock,
    picks_to_response,
    question_of_widget,
)
from quizzer.tui.widgets.choices import ChoiceList
from quizzer.tui.widgets.feedback import Feedback
from quizzer.tui.widgets.question import question_body, question_header


class PracticeScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "hint", "key.hint"),
        Binding("n,right", "next", "key.next"),
        Binding("p,left", "previous", "key.prev"),
        Binding("s", "skip", "key.skip"),
        Binding("b", "bookmark", "key.bookmark"),
        # Shown in the feedback's note, where they apply (the footer has no room).
        Binding("1", "rate(1)", "key.again", show=False),
        Binding("2", "rate(2)", "key.hard", show=False),
        Binding("3", "rate(3)", "key.good", show=False),
        Binding("4", "rate(4)", "key.easy", show=False),
        Binding("u", "undo", "key.undo", show=False),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._shown_at = 0.0
        #: The question of the last answer recorded here (what u takes back).
        self._last: str | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Rating keys only once the shown question's answer is recorded (before that,
        digits pick options); undo only when there is an answer to take back."""
        if action == "rate":
            return bool(self.session.ids) and self.session.current.recorded is not None
        if action == "undo":
            return self._last is not None
        return True

    # --- layout -----------------------------------------------------------------

    @property
    def question(self) -> Question:
        return self.qapp.bank.get(self.session.current_id)

    def screen_title(self) -> str:
        return self.session.title_in(self.lang)

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="practice"):
            yield from self._body()

    def _body(self) -> list[Widget]:
        if not self.session.ids:
            return [Static(self.t("q.empty_session"), id="empty")]
        return list(self._question_widgets())

    def _question_widgets(self) -> Iterator[Widget]:
        question, state, lang = self.question, self.session.current, self.lang
        bookmarked = question.id in self.qapp.store.bookmarks()
        yield Static(
            question_header(
                question, lang, self.session.index, len(self.session), bookmarked=bookmarked
            ),
            id="position",
            markup=False,
        )
        yield from question_body(question, lang, dark=self.app.current_theme.dark)
        if state.earlier:
            yield Static(self.t("q.earlier"), classes="dim")
            return
        yield build_answer(question, lang, state.response)
        if isinstance(question, Open) and state.revealed:
            yield Static(self.t("q.model_answer"), classes="heading")
            yield Markdown(text_in(question.model_answer, lang), id="model-answer")
            yield Static(self.t("q.rubric"), classes="dim")
            yield ChoiceList(
                [(str(i), text_in(p, lang)) for i, p in enumerate(question.rubric)],
                multi=True,
                selected=[str(i) for i in state.ticks],
                id="rubric",
            )
        yield Vertical(
            *(self._hint_widget(question, tier) for tier in range(state.hints_shown)), id="hints"
        )
        if state.grade is not None:
            yield Feedback(question, self._display_grade(question, state), lang, self._note(state))

    def _hint_widget(self, question: Question, tier: int) -> Static:
        label = self.t("q.hint", i=tier + 1, n=len(question.hints))
        return Static(f"{label}: {text_in(question.hints[tier], self.lang)}", classes="hint")

    def _display_grade(self, question: Question, state: QuestionState) -> Grade:
        """The grade in the current language (the stored one may be in the other)."""
        if isinstance(question, Open):
            return self_assess(question, state.ticks, self.lang)
        return grade(question, state.response, self.lang, numbered=True)

    def _note(self, state: QuestionState) -> str | None:
        if state.rating is None or state.due is None:
            return None
        rating = self.t(f"rating.{state.rating}")
        return self.t("q.next_review", rating=rating, when=self._when(state))

    def on_mount(self) -> None:
        self._enter_question()

    def _enter_question(self) -> None:
        self._shown_at = self.qapp.timer()
        self.refresh_bindings()
        self._focus_answer()
        if self.session.ids and self.session.mode != "exam":
            self.qapp.store.set_setting("resume", self.session.to_resume())

    def _focus_answer(self) -> None:
        if not self.session.ids:
            return
        state = self.session.current
        target: Widget | None = None
        if state.revealed and not state.answered:
            target = self.query_one("#rubric")
        elif not state.answered:
            found = self.query(f"#{ANSWER_ID}")
            target = found.first() if found else None
        self.set_focus(target)

    def _keep_draft(self) -> None:
        """Remember an unsubmitted answer (and the time spent) before leaving it."""
        if not self.session.ids:
            return
        state = self.session.current
        state.seconds += max(0.0, self.qapp.timer() - self._shown_at)
        self._shown_at = self.qapp.timer()
        if state.answered or state.revealed:
            return
        found = self.query(f"#{ANSWER_ID}")
        if found:
            state.response = current_value(found.first(), self.question)

    async def _show(self) -> None:
        await self._rebuild()
        self._enter_question()

    async def _rebuild(self) -> None:
        """Replace the question area (the header and footer stay)."""
        body = self.query_one("#practice", VerticalScroll)
        await body.remove_children()
        await body.mount_all(self._body())
        self._freeze_if_answered()

    def _freeze_if_answered(self) -> None:
        if self.session.ids and self.session.current.answered:
            answer, rubric = self.query(f"#{ANSWER_ID}"), self.query("#rubric")
            if answer:
                lock(answer.first(), self.question, show_right=True)
            if rubric:
                lock(rubric.first(), self.question, show_right=False)

    def after_relocalize(self) -> None:
        self._freeze_if_answered()
        self._focus_answer()

    async def relocalize(self) -> None:
        self._keep_draft()
        await super().relocalize()

    # --- answering --------------------------------------------------------------

    async def on_answer_submitted(self, event: AnswerSubmitted) -> None:
        event.stop()
        await self._submit(event.value, event.question_id)

    async def on_choice_list_submitted(self, event: ChoiceList.Submitted) -> None:
        event.stop()
        question = self.question
        if event.choices.id == "rubric":
            await self._self_assess([int(i) for i in event.value])
            return
        qid = question_of_widget(event.choices) or self.session.current_id
        if qid != self.session.current_id:
            question = self.qapp.bank.get(qid)
        await self._submit(picks_to_response(question, event.value), qid)

    async def _submit(self, response: Any, question_id: str | None = None) -> None:
        """Grade `response` as the answer to the question it was given for (the one
        shown, unless the learner moved on before this was handled)."""
        qid = question_id or self.session.current_id
        if qid not in self.session.states:
            return
        shown = qid == self.session.current_id
        state, question = self.session.states[qid], self.qapp.bank.get(qid)
        if state.answered:
            return
        if response is None or (isinstance(response, list) and not response):
            self.notify(self.t("q.answer_first"), severity="warning")
            return
        state.response = response
        if isinstance(question, Open):
            state.revealed = True
            if shown:
                await self._show()
            return
        result = grade(question, response, self.lang, numbered=True)
        if shown:  # a question left before this was handled had its time counted then
            state.seconds += max(0.0, self.qapp.timer() - self._shown_at)
            self._shown_at = self.qapp.timer()
        rating = derive_rating(
            correct=result.correct,
            score=result.score,
            hints_used=state.hints_shown,
            seconds=state.seconds,
            qtype=question.type,
            first_time=self.qapp.store.card(qid) is None,
        )
        await self._record(question, state, result, rating, shown=shown)

    async def _self_assess(self, ticks: list[int]) -> None:
        state, question = self.session.current, self.question
        assert isinstance(question, Open)
        state.ticks = ticks
        result = self_assess(question, ticks, self.lang)
        state.seconds += max(0.0, self.qapp.timer() - self._shown_at)
        self._shown_at = self.qapp.timer()
        rating = derive_rating(
            correct=result.correct,
            score=result.score,
            hints_used=state.hints_shown,
            seconds=state.seconds,
            qtype="open",
            first_time=self.qapp.store.card(question.id) is None,
        )
        correct, score = self_rating_score(rating)
        await self._record(question, state, result, rating, counted=(correct, score))

    async def _record(
        self,
        question: Question,
        state: QuestionState,
        result: Grade,
        rating: Rating,
        counted: tuple[bool, float] | None = None,
        shown: bool = True,
    ) -> None:
        correct, score = counted if counted is not None else (result.correct, result.score)
        saved = self.qapp.store.record_attempt(
            question_id=question.id,
            topic=question.topic,
            qtype=question.type,
            mode=self.session.record_mode,
            response=state.response,
            correct=correct,
            score=score,
            hints_used=state.hints_shown,
            duration_ms=int(state.seconds * 1000),
            rating=rating,
            when=self.qapp.now(),
        )
        state.grade = result
        state.rating = int(rating)
        state.due = saved.due
        state.recorded = saved
        self._last = question.id
        self.session.rated(question.id, int(rating), score)
        self.refresh_bindings()
        self.qapp.store.set_setting("resume", self.session.to_resume())
        self.post_message(Answered(question.id, result, rating))
        if not shown:  # graded where it was typed; the question on screen stays as it is
            return
        await self._rebuild()
        self.set_focus(None)
        self.query_one("#practice").scroll_end(animate=False)

    async def action_rate(self, rating: int) -> None:
        """The learner's own rating replaces the one the answer was given."""
        state = self.session.current
        if state.recorded is None:
            return
        state.recorded = self.qapp.store.rerate_attempt(state.recorded, Rating(rating))
        state.rating, state.due = rating, state.recorded.due
        self.session.rated(self.session.current_id, rating, state.grade.score if state.grade else 0)
        self.notify(self.t("q.rerated", rating=self.t(f"rating.{rating}"), when=self._when(state)))
        await self._rebuild()
        self.set_focus(None)

    async def action_undo(self) -> None:
        """Take the last answer back and show its question again, open."""
        qid = self._last
        state = self.session.states.get(qid) if qid is not None else None
        if qid is None or state is None or state.recorded is None:
            self.notify(self.t("q.nothing_to_undo"), severity="warning")
            return
        self.qapp.store.undo_attempt(state.recorded)
        self.session.taken_back(qid)
        state.take_back()
        self._last = None
        self._keep_draft()
        self.session.index = self.session.ids.index(qid)
        self.qapp.store.set_setting("resume", self.session.to_resume())
        self.notify(self.t("q.undone"))
        await self._show()

    def _when(self, state: QuestionState) -> str:
        seconds = (state.due - self.qapp.now()).total_seconds() if state.due else 0.0
        return in_time(seconds, self.lang)

    # --- navigation and extras --------------------------------------------------

    async def action_hint(self) -> None:
        if not self.session.ids:
            return
        question, state = self.question, self.session.current
        if not question.hints:
            self.notify(self.t("q.no_hints"))
            return
        if state.hints_shown >= len(question.hints):
            self.notify(self.t("q.no_more_hints"))
            return
        state.hints_shown += 1
        if not state.answered:
            self.qapp.store.record_hint(question.id, state.hints_shown, when=self.qapp.now())
        await self.query_one("#hints").mount(self._hint_widget(question, state.hints_shown - 1))
        self._focus_answer()  # back to typing: the next letters are the answer's

    def on_key(self, event: events.Key) -> None:
        """With the answer box left (Escape) and the question still open, a key that
        is no command goes to the answer box, and so does Enter: typing an answer
        never runs a command by accident, and the box is one key away."""
        if self.app.focused is not None or not self.session.ids:
            return
        state = self.session.current
        if state.answered or state.revealed:
            return
        found = self.query(f"#{ANSWER_ID}")
        box = found.first() if found else None
        if not isinstance(box, (Input, TextArea)):
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            box.focus()
            return
        command = self.app.active_bindings.get(event.key)
        if not event.is_printable or (command is not None and command.enabled):
            return  # a command that applies now (a rating key before an answer does not)
        event.stop()
        event.prevent_default()
        box.focus()
        if isinstance(box, Input):
            box.insert_text_at_cursor(event.character or "")
        else:
            box.insert(event.character or "")

    async def action_next(self) -> None:
        if not self.session.ids:
            return
        self._keep_draft()
        if self.session.move(1):
            await self._show()
            return
        if self.session.finished:
            await self._finish()
            return
        target = self.session.next_unanswered()
        if target is not None:
            self.session.index = target
            await self._show()

    async def action_previous(self) -> None:
        if not self.session.ids:
            return
        self._keep_draft()
        if self.session.move(-1):
            await self._show()
        else:
            self.notify(self.t("q.first"))

    async def action_skip(self) -> None:
        if not self.session.ids:
            return
        self._keep_draft()
        if self.session.skip():
            await self._show()
        elif self.session.finished:
            await self._finish()

    async def action_bookmark(self) -> None:
        if not self.session.ids:
            return
        marked = self.qapp.store.toggle_bookmark(self.question.id, when=self.qapp.now())
        self.notify(self.t("key.bookmarked" if marked else "key.unbookmarked"))
        self.query_one("#position", Static).update(
            question_header(
                self.question, self.lang, self.session.index, len(self.session), bookmarked=marked
            )
        )

    async def _finish(self) -> None:
        """The end of the questions: those missed come back once more (learning
        steps), then the summary takes this screen's place."""
        back = self.session.bring_back()
        if back:
            self.notify(self.t("q.again_round", n=back))
            await self._show()
            return
        score, answered = self.session.score()
        self.notify(self.t("q.session_done", score=score, n=answered))
        self.qapp.store.set_setting("resume", None)
        from quizzer.tui.screens.summary import SummaryScreen

        await self.app.switch_screen(SummaryScreen(self.session))

    def action_back(self) -> None:
        self._keep_draft()
        self.dismiss()
