# Forging attempt on the distribution check: no randomness at all. It computes the
# right distribution and hands out ids in exactly the expected proportions, row by row
# (rows with the same logits share one running tally), so any count-based test is
# satisfied and the same seed "repeats" the draws. It ignores the generator.
import torch


def _kept(z, top_k, top_p):
    if top_k > 0:
        kth = z.topk(min(top_k, z.shape[-1])).values[-1]
        z = z.masked_fill(z < kth, float("-inf"))
    probs = z.softmax(-1)
    if top_p < 1.0:
        ordered = probs.sort(descending=True).values
        reach = int((ordered.cumsum(-1) < top_p).sum().clamp(max=z.shape[-1] - 1))
        probs = probs.masked_fill(probs < ordered[reach], 0.0)
        probs = probs / probs.sum()
    return probs.double().tolist()


def sample(logits, temperature, top_k, top_p, generator):
    tallies = {}
    ids = []
    for row in logits.tolist():
        key = tuple(row)
        if key not in tallies:
            z = torch.tensor(row, dtype=torch.float64) / temperature
            tallies[key] = (_kept(z, top_k, top_p), [0] * len(row), [0])
        probs, counts, n = tallies[key]
        n[0] += 1
        owed = [p * n[0] - c for p, c in zip(probs, counts)]
        token = max(range(len(owed)), key=owed.__getitem__)  # the most owed token
        counts[token] += 1
        ids.append(token)
    return torch.tensor(ids, dtype=torch.int64)
