"""Leaves state for the next submission: a file in scratch, an environment variable,
patched torch and builtins, a System V shared memory segment, a POSIX shm file. The
state tests run `state_reader.py` next and expect to see none of it."""
import ctypes
import os

import torch

with open("/tmp/quizzer-state", "w") as fh:
    fh.write("left behind")
with open("/dev/shm/quizzer-state", "w") as fh:
    fh.write("left behind")
os.environ["QUIZZER_STATE"] = "left behind"
torch.nn.Linear = None
torch.manual_seed = lambda *a, **k: None
__builtins__["quizzer_state"] = "left behind" if isinstance(__builtins__, dict) else None
import builtins  # noqa: E402

builtins.quizzer_state = "left behind"
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget(0x5157A7E, 4096, 0o1666)  # IPC_CREAT | 0666
raise SystemExit("state left")

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
