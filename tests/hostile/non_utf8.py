"""Not UTF-8: Latin-1 bytes in a comment. Expect a clear load failure."""
# café ÿþ
import torch


class SimpleNN(torch.nn.Module):
    pass
