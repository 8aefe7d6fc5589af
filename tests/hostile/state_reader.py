"""Reports what an earlier submission may have left behind (see state_writer.py) in
ANSWER; the state tests expect all of it clean. Judged for real it fails (no class)."""
import builtins
import ctypes
import os

import torch

libc = ctypes.CDLL(None, use_errno=True)
ANSWER = {
    "tmp": sorted(os.listdir("/tmp")),
    "shm": sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else [],
    "env": os.environ.get("QUIZZER_STATE"),
    "linear": torch.nn.Linear is not None and torch.nn.Linear.__name__ == "Linear",
    "seed_patched": getattr(torch.manual_seed, "__name__", "") == "<lambda>",
    "builtins": getattr(builtins, "quizzer_state", None),
    "sysv": libc.shmget(0x5157A7E, 0, 0),
}

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
