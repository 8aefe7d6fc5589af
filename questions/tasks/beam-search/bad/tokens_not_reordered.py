"""Known-bad beam-search: the scores, lengths and finished flags follow their beams,
but the token histories are not reordered with them, so the best score comes back
beside the tokens of another hypothesis."""

import torch
import torch.nn as nn


class BeamSearch(nn.Module):
    def __init__(self, beam_width, max_len, eos_id, alpha):
        super().__init__()
        self.beam_width, self.max_len = beam_width, max_len
        self.eos_id, self.alpha = eos_id, alpha

    def forward(self, logits):
        batch, vocab, _ = logits.shape
        k, device = self.beam_width, logits.device
        log_probs = logits.log_softmax(dim=-1)  # (B, V_prev, V_next)
        rows = torch.arange(batch, device=device)[:, None]
        # one live beam at the start: the others at -inf never duplicate it
        scores = torch.full((batch, k), float("-inf"), dtype=logits.dtype, device=device)
        scores[:, 0] = 0.0
        last = torch.zeros(batch, k, dtype=torch.long, device=device)  # BOS is token 0
        tokens = torch.full((batch, k, self.max_len), self.eos_id, dtype=torch.long, device=device)
        lengths = torch.full((batch, k), self.max_len, dtype=torch.long, device=device)
        finished = torch.zeros(batch, k, dtype=torch.bool, device=device)
        # a finished beam's only extension: eos_id again, adding nothing
        frozen = torch.full((vocab,), float("-inf"), dtype=logits.dtype, device=device)
        frozen[self.eos_id] = 0.0
        for t in range(self.max_len):
            step = torch.where(finished[..., None], frozen, log_probs[rows, last])  # (B, k, V)
            scores, flat = (scores[..., None] + step).reshape(batch, k * vocab).topk(k, dim=-1)
            beam, token = flat // vocab, flat % vocab
            lengths, was_finished = lengths[rows, beam], finished[rows, beam]
            # tokens stay where they were: each beam keeps another hypothesis's history
            tokens[:, :, t] = token
            ends_now = ~was_finished & (token == self.eos_id)
            lengths = torch.where(ends_now, t + 1, lengths)  # the EOS counts
            finished = was_finished | ends_now
            last = token
        penalised = scores / ((5 + lengths.to(scores.dtype)) / 6) ** self.alpha
        best = penalised.argmax(dim=-1, keepdim=True)  # (B, 1)
        return tokens[rows, best].squeeze(1), penalised.gather(1, best)
