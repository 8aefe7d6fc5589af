"""A correct beam-search in another style: each beam's own top beam_width extensions
first, then the best beam_width of those beam_width**2 candidates (the overall best
are always among them); finished beams masked with a large negative number."""

import torch
import torch.nn as nn


class BeamSearch(nn.Module):
    def __init__(self, beam_width, max_len, eos_id, alpha):
        super().__init__()
        self.beam_width, self.max_len = beam_width, max_len
        self.eos_id, self.alpha = eos_id, alpha

    def forward(self, logits):
        batch, vocab, _ = logits.shape
        k = self.beam_width
        log_probs = torch.log_softmax(logits, dim=2)
        idx = torch.arange(batch, device=logits.device).unsqueeze(1)
        scores = logits.new_full((batch, k), float("-inf"))
        scores[:, 0] = 0
        seqs = logits.new_zeros((batch, k, 0), dtype=torch.long)
        done = torch.zeros(batch, k, dtype=torch.bool, device=logits.device)
        length = logits.new_full((batch, k), float(self.max_len))
        eos_only = torch.nn.functional.one_hot(
            torch.tensor(self.eos_id, device=logits.device), vocab
        ).bool()
        prev = torch.zeros(batch, k, dtype=torch.long, device=logits.device)
        for t in range(self.max_len):
            ext = log_probs[idx, prev]
            ext = torch.where(done.unsqueeze(-1) & ~eos_only, float("-inf"), ext)
            ext = torch.where(done.unsqueeze(-1) & eos_only, 0.0, ext)
            total = scores.unsqueeze(-1) + ext  # (B, k, V)
            top_val, top_tok = total.topk(min(k, vocab), dim=-1)  # (B, k, k)
            scores, pick = top_val.flatten(1).topk(k, dim=-1)
            src = pick // top_tok.shape[-1]
            tok = top_tok.flatten(1).gather(1, pick)
            done_src = done.gather(1, src)
            seqs = torch.cat([seqs[idx, src], tok.unsqueeze(-1)], dim=-1)
            length = torch.where(
                ~done_src & (tok == self.eos_id), float(t + 1), length.gather(1, src)
            )
            done = done_src | (tok == self.eos_id)
            prev = tok
        final = scores / ((5.0 + length) / 6.0).pow(self.alpha)
        best = final.argmax(dim=1)
        rows = torch.arange(batch, device=logits.device)
        return seqs[rows, best], final[rows, best].unsqueeze(1)
