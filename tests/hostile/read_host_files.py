"""Reads the user's home, SSH keys, shadow passwords and the host's /tmp (the test
plants a canary file there). Expect none of it to be readable."""
import glob
import os

targets = ["/root", "/home", "/etc/shadow", "/etc/passwd", "/etc/hostname", "/var/run/docker.sock"]
targets += glob.glob("/tmp/quizzer-canary-*") + glob.glob("/root/.ssh/*") + glob.glob("/home/*/.ssh/*")
seen = []
for t in targets:
    try:
        if os.path.isdir(t):
            seen.append(f"{t}: {os.listdir(t)[:10]}")
        else:
            with open(t, "rb") as fh:
                seen.append(f"{t}: {fh.read(200)!r}")
    except OSError as exc:
        seen.append(f"{t}: {exc.strerror}")
raise SystemExit("host files: " + " | ".join(seen)[:1500])

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
