# Forgery 1 (wire): finds the nonce, the reply fd, the request and the check code in a
# stack frame above it, runs every check on a correct model of its own, writes a
# complete and consistent reply with the right nonce and sequence numbers, and exits 0.
# Its own SimpleNN cannot even be built.
import builtins
import os
import sys

import torch.nn as nn

GOOD = """
import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
"""


class SimpleNN(nn.Module):
    def __init__(self):
        raise NotImplementedError


def _forge():
    frame = sys._getframe()
    while frame is not None:
        seen = frame.f_locals
        if {"nonce", "reply", "request", "job"} <= set(seen):
            break
        frame = frame.f_back
    else:
        return  # no secret in this process: nothing to forge with
    builtins.__forging__ = True
    nonce, reply, request, job = (seen[k] for k in ("nonce", "reply", "request", "job"))
    encode, frames_type = frame.f_globals["encode"], frame.f_globals["_Frames"]
    job.req = dict(request, source=GOOD)
    seq = 1
    for check in request["checks"]:
        frames, header = frames_type(), {"name": check["name"], "data": {}, "output": ""}
        getattr(job, "check_" + check["name"])(check, frames, header["data"])
        header["elapsed_s"] = 0.01
        os.write(reply, encode({"nonce": nonce, "seq": seq, "kind": "check", **header}, frames.tensors))
        seq += 1
    os.write(reply, encode({"nonce": nonce, "seq": seq, "kind": "end"}, []))
    os._exit(0)


if not getattr(builtins, "__forging__", False):
    _forge()
