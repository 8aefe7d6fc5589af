# Forging attempt: finds every open pipe, writes a frame that claims every check
# passed, and ends the process before the worker can reply.
import json
import os
import struct

import torch.nn as nn

header = json.dumps(
    {"nonce": "0" * 32, "seq": 0, "kind": "check", "name": "load", "data": {"found": True}, "tensors": []}
).encode()
frame = b"QZJ1" + struct.pack(">IQ", len(header), 0) + header
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    if fd > 2:
        try:
            os.write(fd, frame)
        except OSError:
            pass
os._exit(0)


class SimpleNN(nn.Module):
    def forward(self, x):
        return x
