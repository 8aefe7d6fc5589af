import torch


def add_sinusoidal_positions(x):
    t, d = x.shape[-2], x.shape[-1]
    position = torch.arange(t, dtype=x.dtype, device=x.device).unsqueeze(1)  # (T, 1)
    j = torch.arange(d, dtype=x.dtype, device=x.device)  # every feature its own j
    angle = position / 10000.0 ** (2 * j / d)  # the paper pairs 2i and 2i + 1
    pe = torch.empty(t, d, dtype=x.dtype, device=x.device)
    pe[:, 0::2] = torch.sin(angle[:, 0::2])
    pe[:, 1::2] = torch.cos(angle[:, 1::2])
    return x + pe  # broadcast over the batch
