"""The Textual practice app. Never imports torch: judging runs in the judge's workers."""
