"""The hiring screen: screen files, per-candidate papers, grading, manual review and
reports. No textual, no typer; torch only through the judge, when files are judged.

The contract other parts (the CLI, the practice UI's exam mode) code against:

    from quizzer.screen.load import load_screen, LoadedScreen
    from quizzer.screen.paper import build_paper, exam_question_ids, Paper
    from quizzer.screen.answers import answers_text, write_answers, read_answers
    from quizzer.screen.grader import grade_candidates, judge_choice
    from quizzer.screen.review import apply_review
    from quizzer.screen import report
"""
