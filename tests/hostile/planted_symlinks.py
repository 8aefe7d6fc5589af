"""Plants symlinks in its scratch folder pointing at host paths the judge may later
touch (the repository, /etc, /), hoping the clean-up follows them. Expect the targets
untouched and the run failed."""
import os
import sys

targets = ["/", "/etc", "/usr/lib"] + [p for p in sys.path if p]
for i, t in enumerate(targets):
    for name in (f"link-{i}", f"dir/link-{i}"):
        try:
            os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
            os.symlink(t, name)
        except OSError:
            pass
os.symlink("/proc/self/root", "escape")
raise SystemExit("symlinks planted")

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
