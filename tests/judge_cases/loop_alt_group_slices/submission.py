"""The loop written over slices of groups: zero_grad at the start of each group, the
loss divided inside autocast, evaluation summed as a tensor, the checkpoint in pieces
loaded with weights_only."""

import torch
import torch.nn.functional as F


def train_epoch(model, optimizer, scheduler, scaler, batches, accum_steps, max_norm):
    losses = []
    for start in range(0, len(batches), accum_steps):
        group = batches[start : start + accum_steps]
        optimizer.zero_grad(set_to_none=True)
        for x, y in group:
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x).float(), y)
                scaled = loss / len(group)
            scaler.scale(scaled).backward()
            losses.append(float(loss.detach()))
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=max_norm)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return losses


@torch.no_grad()
def evaluate(model, batches):
    model.eval()
    try:
        total = torch.zeros((), dtype=torch.float64)
        for x, y in batches:
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
                total += F.cross_entropy(model(x), y).double()
        return (total / len(batches)).item()
    finally:
        model.train()


def save_checkpoint(path, model, optimizer, scheduler, scaler):
    state = {
        "weights": model.state_dict(),
        "opt": optimizer.state_dict(),
        "sched": scheduler.state_dict(),
        "amp": scaler.state_dict(),
        "cpu_rng": torch.random.get_rng_state(),
    }
    with open(path, "wb") as fh:
        torch.save(state, fh)


def load_checkpoint(path, model, optimizer, scheduler, scaler):
    state = torch.load(path, weights_only=True)
    model.load_state_dict(state["weights"])
    optimizer.load_state_dict(state["opt"])
    scheduler.load_state_dict(state["sched"])
    scaler.load_state_dict(state["amp"])
    torch.random.set_rng_state(state["cpu_rng"])
