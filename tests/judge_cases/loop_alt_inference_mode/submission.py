"""The loop with a step counter, (scaler.scale(loss) / n).backward(), inference_mode
for evaluation and a checkpoint dict built in a loop."""

import torch
import torch.nn.functional as F

PARTS = ("model", "optimizer", "scheduler", "scaler")


def train_epoch(model, optimizer, scheduler, scaler, batches, accum_steps, max_norm):
    model.train()
    losses, seen = [], 0
    total = len(batches)
    for x, y in batches:
        remaining_at_group_start = total - (seen // accum_steps) * accum_steps
        n = min(accum_steps, remaining_at_group_start)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
            loss = F.cross_entropy(out, y)
        (scaler.scale(loss) / n).backward()
        losses.append(loss.item())
        seen += 1
        if seen % accum_steps == 0 or seen == total:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad()
            scheduler.step()
    return losses


def evaluate(model, batches):
    model.eval()
    with torch.inference_mode():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            values = [F.cross_entropy(model(x), y).item() for x, y in batches]
    model.train()
    return sum(values) / len(values)


def save_checkpoint(path, model, optimizer, scheduler, scaler):
    objects = dict(zip(PARTS, (model, optimizer, scheduler, scaler)))
    checkpoint = {name: obj.state_dict() for name, obj in objects.items()}
    checkpoint["rng_state"] = torch.get_rng_state()
    torch.save(checkpoint, path)


def load_checkpoint(path, model, optimizer, scheduler, scaler):
    checkpoint = torch.load(path)
    for name, obj in zip(PARTS, (model, optimizer, scheduler, scaler)):
        obj.load_state_dict(checkpoint[name])
    torch.set_rng_state(checkpoint["rng_state"])
