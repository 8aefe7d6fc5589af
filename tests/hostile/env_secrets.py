"""Dumps its environment and every /proc/*/environ and cmdline it can read. Expect
none of the judge's variables (the test plants a canary) to show up anywhere."""
import os

found = [f"{k}={v}" for k, v in os.environ.items()]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as fh:
                    found.append(fh.read().decode(errors="replace"))
            except OSError:
                pass
print("\n".join(found))
raise SystemExit("env: " + " | ".join(found)[:1500])

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
