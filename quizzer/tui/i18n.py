"""The UI's own words in English and Chinese; question text comes from the bank.

Every screen asks `tr(key, lang, **values)`. A key missing in either language is a
bug that `tests/test_tui_i18n.py` catches. Called by every module of `quizzer.tui`.
"""

from __future__ import annotations

from typing import Any

LANG_NAMES = {"en": "English", "zh": "中文"}

STRINGS: dict[str, tuple[str, str]] = {
    # app and footer
    "app.title": ("quizzer", "quizzer"),
    "key.quit": ("Quit", "退出"),
    "key.lang": ("中文", "English"),
    "key.theme": ("Light/dark", "明/暗"),
    "key.back": ("Back", "返回"),
    "key.home": ("Home", "首页"),
    "cmd.lang": ("Switch language", "切换语言"),
    "cmd.lang.help": ("English / 中文, remembered", "English / 中文，会被记住"),
    "cmd.theme": ("Toggle light/dark", "切换明/暗主题"),
    "cmd.theme.help": ("Switch between the light and the dark theme", "在明亮和黑暗主题间切换"),
    "cmd.review": ("Review due questions", "复习到期题目"),
    "cmd.learn": ("Learn new questions", "学习新题"),
    "cmd.stats": ("Show stats", "查看统计"),
    "cmd.exam": ("Start an exam", "开始考试"),
    "cmd.home": ("Go home", "回到首页"),
    "lang.switched": ("Language: English", "语言：中文"),
    # home
    "home.title": ("Home", "首页"),
    "home.topics": ("Topics", "主题"),
    "home.col.topic": ("Topic", "主题"),
    "home.col.questions": ("Questions", "题数"),
    "home.col.answered": ("Answered", "已答"),
    "home.col.accuracy": ("Accuracy", "正确率"),
    "home.col.due": ("Due", "待复习"),
    "home.today": ("Today", "今天"),
    "home.due": ("{n} due for review", "{n} 道题待复习"),
    "home.new": ("{n} new to learn", "{n} 道新题可学"),
    "home.continue": ("Continue: {title} ({done}/{total})", "继续：{title}（{done}/{total}）"),
    "home.nothing_to_continue": ("Nothing to continue", "没有可继续的练习"),
    "home.bookmarks": ("{n} bookmarked", "{n} 道已收藏"),
    "home.filters": ("Filters: {what}", "筛选：{what}"),
    "home.no_filters": ("none", "无"),
    "home.streak": ("Streak: {n} day(s)", "连续学习：{n} 天"),
    "home.tasks": ("Coding tasks (t)", "编程题（t）"),
    "home.col.task": ("Task", "题目"),
    "home.col.class": ("Class", "类名"),
    "home.col.status": ("Status", "状态"),
    "home.all_topics": ("All topics", "全部主题"),
    "home.nothing_due": (
        "Nothing is due for review. Learn something new (n).",
        "没有到期的复习。学点新的吧（n）。",
    ),
    "home.nothing_new": ("No new questions match the filters.", "没有符合筛选条件的新题。"),
    "home.no_bookmarks": ("No bookmarks yet (b on a question).", "还没有收藏（在题目上按 b）。"),
    "home.no_questions": ("No questions match.", "没有符合条件的题目。"),
    "key.practice": ("Practise", "练习"),
    "key.review": ("Review", "复习"),
    "key.learn": ("Learn new", "学新题"),
    "key.continue": ("Continue", "继续"),
    "key.bookmarks": ("Bookmarks", "收藏"),
    "key.filters": ("Filters", "筛选"),
    "key.exam": ("Exam", "考试"),
    "key.stats": ("Stats", "统计"),
    "key.tasks": ("Tasks", "编程题"),
    "session.practice": ("Practice: {what}", "练习：{what}"),
    "session.learn": ("Learn new", "学习新题"),
    "session.review": ("Review", "复习"),
    "session.bookmarks": ("Bookmarks", "收藏"),
    # task status
    "status.pass": ("passed", "已通过"),
    "status.fail": ("failed", "未通过"),
    "status.error": ("error", "出错"),
    "status.none": ("not tried", "未尝试"),
    # filters
    "filters.title": ("Filter questions", "筛选题目"),
    "filters.topic": ("Topic", "主题"),
    "filters.tag": ("Tag", "标签"),
    "filters.type": ("Type", "题型"),
    "filters.difficulty": ("Difficulty", "难度"),
    "filters.any": ("any", "不限"),
    "filters.apply": ("Apply", "应用"),
    "filters.clear": ("Clear", "清除"),
    "filters.cancel": ("Cancel", "取消"),
    # practice
    "q.position": ("Question {i}/{n}", "第 {i}/{n} 题"),
    "q.bookmarked": ("★ bookmarked", "★ 已收藏"),
    "q.earlier": ("Answered earlier in this session.", "本轮练习中已答过。"),
    "q.choose": ("Press a number to choose, Enter to submit.", "按数字键选择，回车提交。"),
    "q.choose_many": ("Press numbers to toggle, Enter to submit.", "按数字键多选，回车提交。"),
    "q.type_answer": ("Type your answer and press Enter.", "输入答案后按回车。"),
    "q.type_output": ("Type what it prints, then Ctrl+S.", "输入打印结果，然后按 Ctrl+S。"),
    "q.open_draft": (
        "Write your answer (optional), then Ctrl+S to reveal the model answer.",
        "写下你的答案（可选），然后按 Ctrl+S 查看参考答案。",
    ),
    "q.rubric": (
        "Tick the points you covered (numbers), then Enter.",
        "勾选你答到的要点（数字键），然后回车。",
    ),
    "q.model_answer": ("Model answer", "参考答案"),
    "q.answer_placeholder": ("your answer", "你的答案"),
    "q.unit": ("unit: {unit}", "单位：{unit}"),
    "q.true": ("True", "正确"),
    "q.false": ("False", "错误"),
    "q.hint": ("Hint {i}/{n}", "提示 {i}/{n}"),
    "q.no_hints": ("This question has no hints.", "这道题没有提示。"),
    "q.no_more_hints": ("That was the last hint.", "已经是最后一条提示了。"),
    "q.right": ("✔ Right", "✔ 正确"),
    "q.wrong": ("✘ Not quite", "✘ 不对"),
    "q.partial": ("◐ Partly right ({score:.0%})", "◐ 部分正确（{score:.0%}）"),
    "q.expected": ("Answer: {expected}", "答案：{expected}"),
    "q.your_answer": ("Your answer: {answer}", "你的答案：{answer}"),
    "q.explanation": ("Why", "解析"),
    "q.references": ("References", "参考资料"),
    "q.next_review": (
        "Counted as {rating}; next review {when}. Rate it yourself: 1 again, 2 hard, "
        "3 good, 4 easy; u takes the answer back.",
        "记为「{rating}」；下次复习 {when}。也可自己评分：1 重来、2 困难、3 良好、4 简单；"
        "按 u 撤回这次作答。",
    ),
    "q.rerated": ("Rated {rating}: next review {when}.", "已评为「{rating}」：下次复习 {when}。"),
    "q.undone": (
        "Answer taken back: it counts for nothing and can be answered again.",
        "已撤回这次作答：它不计入记录，可以重新作答。",
    ),
    "q.again_round": (
        "{n} question(s) you missed come back once more.",
        "答错的 {n} 道题再来一遍。",
    ),
    "settings.title": ("Study settings", "学习设置"),
    "settings.retention": (
        "Desired retention ({low:g}-{high:g})",
        "目标记忆保持率（{low:g}-{high:g}）",
    ),
    "settings.retention_help": (
        "The share of reviews you aim to get right: higher means more reviews, closer together.",
        "希望复习时答对的比例：越高，复习越多、间隔越短。",
    ),
    "settings.new_per_day": ("New questions a day (0: none)", "每天新题数（0：不学新题）"),
    "settings.reviews_per_day": ("Reviews a day", "每天复习数"),
    "settings.save": ("Save", "保存"),
    "settings.bad_retention": (
        "Desired retention is a number from {low:g} to {high:g}.",
        "目标记忆保持率须是 {low:g} 到 {high:g} 之间的数。",
    ),
    "settings.bad_limit": (
        "A daily limit is a whole number from 0 to {high}.",
        "每日上限须是 0 到 {high} 之间的整数。",
    ),
    "settings.saved": ("Settings saved.", "设置已保存。"),
    "cmd.settings": ("Study settings", "学习设置"),
    "cmd.settings.help": ("Desired retention and daily limits", "目标记忆保持率与每日上限"),
    "key.settings": ("Settings", "设置"),
    "home.today_counts": (
        "Today: {new}/{new_limit} new, {reviews}/{review_limit} reviews · due later today: "
        "{later}, tomorrow: {tomorrow}",
        "今天：新题 {new}/{new_limit}，复习 {reviews}/{review_limit} · 今天稍后到期 {later} 道，"
        "明天 {tomorrow} 道",
    ),
    "home.limit_new": (
        "Today's new questions are done ({n}); change the limit in settings (o).",
        "今天的新题已学完（{n}）；可在设置（o）中修改上限。",
    ),
    "home.limit_reviews": (
        "Today's reviews are done ({n}); change the limit in settings (o).",
        "今天的复习已完成（{n}）；可在设置（o）中修改上限。",
    ),
    "browse.title": ("Browse questions", "浏览题目"),
    "browse.placeholder": (
        "Search text or id; is:bookmarked is:suspended is:leech is:due is:new",
        "搜索题目文字或 id；is:bookmarked is:suspended is:leech is:due is:new",
    ),
    "browse.count": ("{n} question(s)", "{n} 道题"),
    "browse.unknown": (
        "unknown term(s): is:{terms} (known: {known})",
        "未知条件：is:{terms}（可用：{known}）",
    ),
    "browse.col.id": ("Id", "编号"),
    "browse.col.topic": ("Topic", "主题"),
    "browse.col.type": ("Type", "题型"),
    "browse.col.review": ("Next review", "下次复习"),
    "browse.col.marks": ("Marks", "标记"),
    "browse.new": ("new", "新题"),
    "browse.due_now": ("due now", "已到期"),
    "browse.flag.bookmarked": ("★ bookmarked", "★ 已收藏"),
    "browse.flag.suspended": ("⏸ suspended", "⏸ 已暂停"),
    "browse.flag.leech": ("⚠ leech", "⚠ 屡错"),
    "browse.suspended": (
        "{id} suspended: it leaves every session until unsuspended (x).",
        "{id} 已暂停：在取消暂停（x）之前不会出现在任何练习中。",
    ),
    "browse.unsuspended": ("{id} is back in sessions.", "{id} 已恢复，会再出现在练习中。"),
    "key.search": ("Search", "搜索"),
    "key.suspend": ("Suspend", "暂停"),
    "key.browse": ("Browse", "浏览"),
    "cmd.browse": ("Browse questions", "浏览题目"),
    "cmd.browse.help": (
        "Search, bookmarks, suspended questions and leeches",
        "搜索、收藏、暂停的题目与屡错题",
    ),
    "summary.title": ("Done: {title}", "完成：{title}"),
    "summary.score": (
        "Score: {score:.1f} of {n} (first answers)",
        "得分：{score:.1f}/{n}（按第一次作答计）",
    ),
    "summary.time": ("Time spent: {time}", "用时：{time}"),
    "summary.tomorrow": ("Due by the end of tomorrow: {n}", "到明天结束时待复习：{n}"),
    "summary.missed": ("Missed (Enter opens one again)", "答错的题（按 Enter 重新打开）"),
    "summary.none_missed": ("Nothing missed.", "没有答错的题。"),
    "summary.col.question": ("Question", "题目"),
    "summary.col.topic": ("Topic", "主题"),
    "summary.again": ("Again: {title}", "再练：{title}"),
    "q.nothing_to_undo": ("No answer to take back.", "没有可以撤回的作答。"),
    "key.again": ("Again", "重来"),
    "key.hard": ("Hard", "困难"),
    "key.good": ("Good", "良好"),
    "key.easy": ("Easy", "简单"),
    "key.undo": ("Undo", "撤回"),
    "q.session_done": ("Session done: {score:.1f}/{n} right.", "本轮完成：{score:.1f}/{n} 正确。"),
    "q.empty_session": ("Nothing to practise here.", "这里没有可练习的题目。"),
    "q.first": ("This is the first question.", "这是第一题。"),
    "q.answer_first": ("Answer first, or skip (s).", "请先作答，或按 s 跳过。"),
    "rating.1": ("again", "重来"),
    "rating.2": ("hard", "困难"),
    "rating.3": ("good", "良好"),
    "rating.4": ("easy", "简单"),
    "when.minutes": ("in {n} min", "{n} 分钟后"),
    "when.hours": ("in {n} h", "{n} 小时后"),
    "when.days": ("in {n} day(s)", "{n} 天后"),
    "key.submit": ("Submit", "提交"),
    "key.hint": ("Hint", "提示"),
    "key.next": ("Next", "下一题"),
    "key.prev": ("Previous", "上一题"),
    "key.skip": ("Skip", "跳过"),
    "key.bookmark": ("Bookmark", "收藏"),
    "key.bookmarked": ("Bookmarked", "已收藏"),
    "key.unbookmarked": ("Bookmark removed", "已取消收藏"),
    "key.reveal": ("Reveal", "显示答案"),
    # coding
    "code.spec": ("Spec", "规格"),
    "code.input": ("Input shape: {shape} ({dtype})", "输入形状：{shape}（{dtype}）"),
    "code.output": ("Output shape: {shape}", "输出形状：{shape}"),
    "code.batches": ("Batch sizes tried: {sizes}", "测试的批大小：{sizes}"),
    "code.checks": ("Checks: {checks}", "检查项：{checks}"),
    "code.learning": (
        "Learning: {loss}, {opt} lr={lr}, {steps} steps; final loss ≤ {ratio:.0%} of the first",
        "学习：{loss}，{opt} lr={lr}，{steps} 步，损失须降到初始值的 {ratio:.0%} 以下",
    ),
    "code.forbidden": ("Forbidden: {apis}", "禁止使用：{apis}"),
    "code.limits": ("Limits: {wall:g} s wall, {mem} MB memory", "限制：{wall:g} 秒，{mem} MB 内存"),
    "code.file": ("Your file: {path}", "你的文件：{path}"),
    "code.no_file": (
        "No file yet: press s to write the starter.",
        "还没有文件：按 s 生成初始代码。",
    ),
    "code.started": ("Starter written to {path}", "初始代码已写入 {path}"),
    "code.kept": ("Kept your file {path}", "保留了你的文件 {path}"),
    "code.overwrite": (
        "{path} exists. Overwrite it with the starter?",
        "{path} 已存在。用初始代码覆盖吗？",
    ),
    "code.judging": ("Judging…", "评测中…"),
    "code.cancelled": ("Judging cancelled.", "评测已取消。"),
    "code.result.pass": ("PASSED", "通过"),
    "code.result.fail": ("FAILED", "未通过"),
    "code.result.error": ("ERROR", "出错"),
    "code.watch_on": (
        "Watch mode on: saving the file re-judges it.",
        "监视模式已开启：保存文件即重新评测。",
    ),
    "code.watch_off": ("Watch mode off.", "监视模式已关闭。"),
    "code.watching": ("watching", "监视中"),
    "code.changed": ("File changed: judging again.", "文件已改变：重新评测。"),
    "code.reference": ("Reference solution", "参考解答"),
    "code.reference_locked": (
        "Pass the task first to see the reference solution.",
        "先通过此题才能查看参考解答。",
    ),
    "code.no_editor": ("Cannot open an editor here: {why}", "无法在此打开编辑器：{why}"),
    "code.editor_failed": ("The editor exited with status {code}.", "编辑器退出，状态码 {code}。"),
    "key.start": ("Start", "开始"),
    "key.judge": ("Judge", "评测"),
    "key.watch": ("Watch", "监视"),
    "key.edit": ("Edit", "编辑"),
    "key.reference": ("Reference", "参考解答"),
    "key.cancel": ("Cancel", "取消"),
    "confirm.yes": ("Yes", "是"),
    "confirm.no": ("No", "否"),
    # exam
    "exam.setup": ("Start an exam", "开始考试"),
    "exam.count": ("Questions", "题数"),
    "exam.minutes": ("Minutes", "分钟"),
    "exam.scope": ("From: {what}", "范围：{what}"),
    "exam.start": ("Start", "开始"),
    "exam.bad_number": ("Give whole numbers above zero.", "请输入大于零的整数。"),
    "exam.title": ("Exam: {title}", "考试：{title}"),
    "exam.default_title": ("Practice exam", "模拟考试"),
    "exam.left": ("{m:02d}:{s:02d} left", "剩余 {m:02d}:{s:02d}"),
    "exam.answered": ("{k}/{n} answered", "已答 {k}/{n}"),
    "exam.saved": ("Answer saved.", "答案已保存。"),
    "exam.finish": ("Finish", "交卷"),
    "exam.finish_confirm": ("Finish the exam? {k} of {n} answered.", "确定交卷吗？已答 {k}/{n}。"),
    "exam.time_up": ("Time is up.", "时间到。"),
    "exam.leave_confirm": (
        "Leave the exam? Your answers so far are kept and the clock keeps running.",
        "确定离开考试吗？已作答的内容会保留，计时不会停止。",
    ),
    "exam.quit_confirm": (
        "Quit now? The exam ends unrecorded ({k} of {n} answered).",
        "现在退出吗？本次考试不会被记录（已答 {k}/{n}）。",
    ),
    "exam.resumed": ("Exam resumed: the clock kept running.", "考试已恢复：计时没有停止。"),
    "exam.recorded": (
        "{answered} of {total} answers recorded. The reviewer grades them; press x to export.",
        "已记录 {total} 题中的 {answered} 题答案，由评审评分；按 x 导出。",
    ),
    "exam.result": ("Exam result", "考试结果"),
    "exam.score": (
        "Score: {score:.1f}/{max:.0f} ({pct:.0%}) in {time}",
        "得分：{score:.1f}/{max:.0f}（{pct:.0%}），用时 {time}",
    ),
    "exam.by_topic": ("By topic", "按主题"),
    "exam.by_type": ("By type", "按题型"),
    "exam.questions": ("Questions", "题目"),
    "exam.col.yours": ("Your answer", "你的答案"),
    "exam.col.expected": ("Answer", "答案"),
    "exam.unanswered": ("(no answer)", "（未作答）"),
    "exam.exported": ("Answers exported to {path}", "答案已导出到 {path}"),
    "exam.export_failed": ("Could not write {path}: {why}", "无法写入 {path}：{why}"),
    "exam.nothing": ("No questions for an exam here.", "这里没有可考的题目。"),
    "key.export": ("Export", "导出"),
    # stats
    "stats.title": ("Stats", "统计"),
    "stats.summary": (
        "{attempts} answers · {acc} right · {time} spent · {seen} questions seen",
        "{attempts} 次作答 · 正确率 {acc} · 用时 {time} · 见过 {seen} 道题",
    ),
    "stats.streak": (
        "Streak {current} day(s), longest {longest}",
        "连续 {current} 天，最长 {longest} 天",
    ),
    "stats.more": (
        "{tasks} coding task(s) passed · {exams} exam(s) taken",
        "通过 {tasks} 道编程题 · 参加 {exams} 次考试",
    ),
    "stats.activity": ("Answers per day (last 30 days)", "每日作答（最近 30 天）"),
    "stats.accuracy": ("Accuracy per day (last 14 days)", "每日正确率（最近 14 天）"),
    "stats.topics": ("Accuracy per topic", "各主题正确率"),
    "stats.time": ("Minutes per day (last 14 days)", "每日用时（分钟，最近 14 天）"),
    "stats.forecast": ("Reviews due (next 7 days)", "待复习（未来 7 天）"),
    "stats.none": (
        "No answers yet: practise a little and come back.",
        "还没有作答记录：先练习一会儿再来看。",
    ),
    "stats.na": ("–", "–"),
    # answers refused before grading
    "q.not_a_number": (
        "Not a number: type one such as 55, 6/3 or 1e-3.",
        "这不是一个数：请输入数，例如 55、6/3 或 1e-3。",
    ),
    # coding tasks: hints, and the file before it exists
    "code.judge_in_english": (
        "The judge's messages are in English.",
        "评测器的检查结果与说明为英文。",
    ),
    "code.no_hints": ("This task has no hints.", "这道编程题没有提示。"),
    "code.file_missing": (
        "Your file: {path} (not written yet: press s for the starter)",
        "你的文件：{path}（尚未生成：按 s 写入初始代码）",
    ),
    # exam results: one answer opened from the list
    "exam.open_hint": (
        "Enter opens a question with your answer, the right one and the explanation.",
        "按 Enter 打开一道题：你的答案、正确答案和解析。",
    ),
    "exam.answer_title": ("Question {i} of {n} · {id}", "第 {i}/{n} 题 · {id}"),
    "exam.your_answer": ("Your answer: {answer}", "你的答案：{answer}"),
}


#: The bundled bank's topics; a topic of another bank shows as its id.
TOPICS: dict[str, tuple[str, str]] = {
    "attention": ("attention", "注意力机制"),
    "autograd": ("autograd", "自动求导"),
    "cnn": ("CNNs", "卷积神经网络"),
    "rnn": ("RNNs", "循环神经网络"),
    "training": ("training", "训练"),
    "transformers": ("transformers and LLMs", "Transformer 与大模型"),
    "tensors": ("tensor manipulation", "张量操作"),
    "training-loop": ("training loops", "训练循环"),
    "profiling": ("profiling and memory", "性能分析与内存"),
    "quantization": ("quantization", "量化"),
    "export": ("export and ONNX", "模型导出与 ONNX"),
    "reproducibility": ("reproducibility", "可复现性"),
    "custom-ops": ("custom ops", "自定义算子"),
    "torch-func": ("torch.func", "torch.func"),
    "cnn-arithmetic": ("CNN arithmetic", "卷积尺寸计算"),
    "data-loading": ("data pipelines", "数据管道"),
    "debugging": ("debugging", "调试"),
    "devices-memory": ("devices and memory", "设备与显存"),
    "distributed": ("distributed training", "分布式训练"),
    "dynamic-graphs": ("dynamic graphs", "动态图"),
    "graph-capture": ("graph capture", "图捕获"),
    "initialisation": ("initialisation", "参数初始化"),
    "losses": ("losses", "损失函数"),
    "mixed-precision": ("mixed precision and numerics", "混合精度与数值稳定"),
    "nn-module": ("nn.Module", "nn.Module"),
    "optimizers": ("optimizers", "优化器"),
    "regularisation": ("regularisation", "正则化"),
}

#: Difficulty and question-type names, by language.
NAMES: dict[str, tuple[str, str]] = {
    "easy": ("easy", "简单"),
    "medium": ("medium", "中等"),
    "hard": ("hard", "困难"),
    "single_choice": ("single choice", "单选题"),
    "multiple_choice": ("multiple choice", "多选题"),
    "true_false": ("true or false", "判断题"),
    "numeric": ("numeric", "数值题"),
    "short_answer": ("short answer", "简答题"),
    "code_output": ("code output", "代码输出题"),
    "open": ("open", "开放题"),
    "coding": ("coding", "编程题"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def topic_name(topic: str, lang: str) -> str:
    """A topic as the learner reads it (its id when the UI has no name for it)."""
    return _pick(TOPICS[topic], lang) if topic in TOPICS else topic


def kind_name(value: str, lang: str) -> str:
    """A difficulty or a question type in words (the value itself when unknown)."""
    return _pick(NAMES[value], lang) if value in NAMES else value


def tr(key: str, lang: str = "en", **values: Any) -> str:
    """The UI text for `key` in `lang` (English when the language is unknown)."""
    en, zh = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def in_time(seconds: float, lang: str) -> str:
    """ "in 10 min", "in 5 h", "in 3 day(s)": how far away a review is."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return tr("when.minutes", lang, n=minutes)
    hours = round(seconds / 3600)
    if hours < 24:
        return tr("when.hours", lang, n=hours)
    return tr("when.days", lang, n=round(seconds / 86400))


def duration(seconds: float) -> str:
    """1:05:09, 5:09 or 0:09."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def other_lang(lang: str) -> str:
    return "en" if lang == "zh" else "zh"
