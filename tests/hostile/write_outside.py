"""Tries to write outside its scratch folder: the repository (found through sys.path),
site-packages, the interpreter, /etc, /var/tmp, the host's /tmp. Expect every write to
fail (or land only in the sandbox's own tmpfs) and nothing new on the host."""
import os
import sys

targets = ["/etc/quizzer-pwned", "/var/tmp/quizzer-pwned", "/usr/lib/quizzer-pwned", "/quizzer-pwned"]
for entry in sys.path:
    targets.append(os.path.join(entry, "quizzer-pwned"))
    targets.append(os.path.join(os.path.dirname(os.path.dirname(entry)), "quizzer-pwned"))
    parts = entry.split("/.venv/")
    if len(parts) == 2:
        targets.append(os.path.join(parts[0], "quizzer-pwned"))
results = []
for t in targets:
    try:
        with open(t, "w") as fh:
            fh.write("pwned")
        results.append(f"WROTE {t}")
    except OSError as exc:
        results.append(f"{t}: {exc.strerror}")
raise SystemExit("write: " + " | ".join(results)[:1500])

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
