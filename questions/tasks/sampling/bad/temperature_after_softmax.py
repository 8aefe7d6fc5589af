import torch


def sample(logits, temperature, top_k, top_p, generator):
    probs = torch.softmax(logits, dim=-1) / temperature  # multinomial renormalises it away
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(probs, top_k, dim=-1).values[..., -1:]
        probs = probs.masked_fill(probs < kth, 0.0)
    if top_p < 1.0:
        probs = probs / probs.sum(dim=-1, keepdim=True)
        ordered = probs.sort(dim=-1, descending=True).values
        reach = (ordered.cumsum(dim=-1) < top_p).sum(dim=-1, keepdim=True)
        threshold = ordered.gather(-1, reach.clamp(max=logits.shape[-1] - 1))
        probs = probs.masked_fill(probs < threshold, 0.0)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
