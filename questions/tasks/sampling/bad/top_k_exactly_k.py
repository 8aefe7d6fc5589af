import torch


def sample(logits, temperature, top_k, top_p, generator):
    logits = logits / temperature
    vocab = logits.shape[-1]
    if 0 < top_k < vocab:
        keep = torch.topk(logits, top_k, dim=-1).indices  # exactly k: a tie is cut
        mask = torch.full_like(logits, float("-inf")).scatter(-1, keep, 0.0)
        logits = logits + mask
    if top_p < 1.0:
        probs = torch.softmax(logits, dim=-1)
        ordered = probs.sort(dim=-1, descending=True).values
        reach = (ordered.cumsum(dim=-1) < top_p).sum(dim=-1, keepdim=True).clamp(max=vocab - 1)
        threshold = ordered.gather(-1, reach)
        logits = logits.masked_fill(probs < threshold, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
