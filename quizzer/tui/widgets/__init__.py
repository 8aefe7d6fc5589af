"""Reusable widgets of the practice UI (answer inputs, feedback, charts, judge
progress). Each keeps its CSS in DEFAULT_CSS."""
