import torch


def sample(logits, temperature, top_k, top_p, generator):
    logits = logits / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        ordered, index = torch.sort(logits, dim=-1, descending=True)
        total = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
        remove = total >= top_p  # also removes the token that reaches top_p
        remove[..., 0] = False
        logits = logits.masked_fill(remove.scatter(-1, index, remove), float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
