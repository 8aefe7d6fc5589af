"""The model host's operations for the optimizer and resume checks (`LoopOps`, a
mixin of `modelhost.Host`): they run the submission's optimiser class, or its training
loop functions, on objects and values the judge chose, and answer with what those
leave behind. Like the rest of the model host, nothing here is trusted: the harness
relays the values, and the judge compares them with its own replay.

Standalone (stdlib + torch + the sibling files `observe.py` and `training.py`).
"""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

try:
    from . import observe, training
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    observe = sys.modules["quizzer_worker_observe"]
    training = sys.modules["quizzer_worker_training"]

error_info = observe.error_info
loop_model, loop_objects, loop_facts = (
    training.loop_model,
    training.loop_objects,
    training.loop_facts,
)
_Tensor, _no_grad, _Optimizer = torch.Tensor, torch.no_grad, torch.optim.Optimizer
# taken before the submission runs, so that replacing them later changes nothing here
_step_pre_hook = register_optimizer_step_pre_hook
_enabled = torch.is_grad_enabled

#: The functions the resume check calls, by name.
LOOP_FUNCTIONS = ("train_epoch", "evaluate", "save_checkpoint", "load_checkpoint")


def reseed(seed: int) -> None:
    torch.default_generator.manual_seed(seed)


def plain_value(value: Any, put, depth: int = 0) -> Any:
    """An optimiser state value as plain data (tensors by reference); anything the
    wire cannot carry is refused with a message that says what it was."""
    if depth > 10:
        raise TypeError("the optimizer's state_dict is nested too deeply")
    if type(value) is _Tensor:
        return put(value.detach().clone())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain_value(v, put, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v, put, depth + 1) for k, v in value.items()}
    raise TypeError(
        f"the optimizer's state_dict holds a {type(value).__qualname__}; keep tensors and "
        "numbers in self.state and the param_groups"
    )


def plain_state_dict(sd: Any, put) -> dict:
    """`Optimizer.state_dict()` as plain data: the per-parameter state as [index,
    values] pairs (JSON keys would turn the indices into strings) and the groups."""
    if not isinstance(sd, dict) or "state" not in sd or "param_groups" not in sd:
        raise TypeError("state_dict() must return {'state': ..., 'param_groups': ...}")
    return {
        "state": [[int(k), plain_value(v, put)] for k, v in dict(sd["state"]).items()],
        "param_groups": plain_value(list(sd["param_groups"]), put),
    }


def state_dict_from_plain(plain: dict) -> dict:
    return {
        "state": {int(k): v for k, v in plain["state"]},
        "param_groups": plain["param_groups"],
    }


def _returned(value: Any, put) -> Any:
    """What a call returned: a float, a tensor (by reference) or a description."""
    if type(value) is float:
        return value
    if isinstance(value, (list, tuple)) and all(type(v) is float for v in value):
        return {"floats": list(value)[:10000]}
    if isinstance(value, (list, tuple)):
        kinds = sorted({f"{type(v).__module__}.{type(v).__qualname__}" for v in value[:100]})
        return {"$type": f"{type(value).__qualname__} of {', '.join(kinds) or 'nothing'}"}
    return put(value)


class LoopOps:
    """Operations of `modelhost.Host` for the optimizer and resume checks."""

    obj: Any
    namespace: dict
    forbidden: dict

    def op_optimizer_run(self, a: dict, fr) -> dict:
        """The submission's optimiser class on the judge's parameter groups: steps
        `start` to `stop` with the judge's gradients (None: the parameter is skipped),
        a closure on the steps listed in `closures` that sets them and returns the
        judge's loss; the parameters after every step, and the state_dict after step
        `save`. With `state`, a state_dict to load first (from the other host)."""
        done: dict = {"steps": [], "returned": []}
        phase = "constructing the optimizer"
        try:
            params = [[t.clone().requires_grad_(True) for t in g["params"]] for g in a["groups"]]
            groups = [
                {**g["options"], "params": ps} for ps, g in zip(params, a["groups"], strict=True)
            ]
            defaults = dict(a["defaults"])
            defaults["betas"] = tuple(defaults["betas"])
            for group in groups:
                if "betas" in group:
                    group["betas"] = tuple(group["betas"])
            opt = self.obj(groups, **defaults)
            if a.get("state") is not None:
                phase = "load_state_dict"
                opt.load_state_dict(state_dict_from_plain(a["state"]))
            flat = [p for ps in params for p in ps]
            closures = {int(s): float(v) for s, v in a["closures"]}
            for step in range(int(a["start"]), int(a["stop"])):
                phase = f"step {step + 1}"
                grads = a["grads"][step]

                def give(grads: list = grads) -> None:
                    for p, g in zip(flat, grads, strict=True):
                        p.grad = None if g is None else g.clone()

                if step in closures:
                    loss = closures[step]
                    for p in flat:
                        p.grad = None

                    def closure(loss: float = loss, give=give) -> torch.Tensor:
                        give()
                        return torch.tensor(loss, dtype=torch.float64)

                    got = opt.step(closure)
                    done["returned"].append([step, _returned(got, fr.put)])
                else:
                    give()
                    opt.step()
                done["steps"].append([fr.put(p.detach().clone()) for p in flat])
                if a.get("save") == step + 1:
                    phase = f"state_dict after step {step + 1}"
                    done["state"] = plain_state_dict(opt.state_dict(), fr.put)
        except BaseException as exc:
            done["error"] = {**error_info(exc), "phase": phase}
        return done

    def op_optimizer_probe(self, a: dict, fr) -> dict:
        """The forbidden_api check's run-time half for an optimiser class: one step on
        a small parameter, noting every optimiser that steps (a global step hook sees
        torch's own classes too) and the forbidden functions called."""
        classes = [(n, o) for n, o in self.forbidden.items() if isinstance(o, type)]
        stepped: set = {self.obj}
        handle = _step_pre_hook(lambda opt, args, kwargs: stepped.add(type(opt)))
        spy = observe._CallSpy({id(o): n for n, o in self.forbidden.items()})
        data: dict = {}
        try:
            p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
            with spy:
                opt = self.obj([p], lr=1e-2)
                p.grad = torch.ones(3, dtype=torch.float64)
                opt.step()
        except BaseException as exc:
            data["error"] = error_info(exc)
        finally:
            handle.remove()
        found = {n for n, o in classes for kind in stepped if issubclass(kind, o)}
        data["found"] = sorted(found | spy.found)[:20]
        return data

    def op_training_run(self, a: dict, fr) -> dict:
        """The submission's training loop on the judge's model and objects. Without
        `resume`: train_epoch on the first epoch's batches, evaluate, save_checkpoint,
        train_epoch on the rest. With `resume` (a host that never saw the first run):
        junk objects and a junk RNG state, load_checkpoint, the remaining epochs. The
        facts after each call come from the judge's objects (`loop_facts`)."""
        missing = [n for n in LOOP_FUNCTIONS if not callable(self.namespace.get(n))]
        if missing:
            return {"missing": missing}
        fn = {n: self.namespace[n] for n in LOOP_FUNCTIONS}
        done: dict = {"epochs": []}
        phase = "building the judge's model"
        try:
            if a["resume"]:
                reseed(int(a["build_seed"]))
                model = loop_model(*a["model"])
            else:
                model = loop_model(*a["model"])
                model.load_state_dict(a["state"])
            model.train()
            opt, sched, scaler = loop_objects(model, a["objects"])
            reseed(int(a["seed"]))
            objects = (model, opt, sched, scaler)
            path = str(a["path"])
            if a["resume"]:
                phase = "load_checkpoint"
                fn["load_checkpoint"](path, *objects)
            for index, epoch in enumerate(a["epochs"]):
                phase = f"train_epoch (epoch {int(a['first_epoch']) + index})"
                batches = [(x, y) for x, y in epoch["batches"]]
                got = fn["train_epoch"](
                    *objects, batches, int(a["accum_steps"]), float(epoch["max_norm"])
                )
                done["epochs"].append(
                    {"returned": _returned(got, fr.put), **self._facts(objects, fr)}
                )
                if a["resume"] or index > 0:
                    continue
                phase = "evaluate"
                done["eval"] = self._evaluate(fn["evaluate"], model, a["eval"], fr)
                done["eval"].update(self._facts(objects, fr))
                phase = "save_checkpoint"
                fn["save_checkpoint"](path, *objects)
        except BaseException as exc:
            done["error"] = {**error_info(exc), "phase": phase}
        return done

    @staticmethod
    def _facts(objects: tuple, fr) -> dict:
        facts = loop_facts(*objects)
        return {
            "state": {k: fr.put(v) for k, v in facts["state"].items()},
            "momentum": [None if m is None else fr.put(m) for m in facts["momentum"]],
            **{k: facts[k] for k in ("lrs", "last_epoch", "scale", "growth_tracker")},
        }

    @staticmethod
    def _evaluate(evaluate, model, batches: list, fr) -> dict:
        """evaluate(model, batches), watching each forward of the model: whether
        gradients were on, the model's mode, and the modules left in eval mode."""
        seen: list = []

        def watch(module, args, out) -> None:
            if len(seen) < 100:
                tracked = isinstance(out, _Tensor) and bool(out.requires_grad)
                seen.append([bool(_enabled()), bool(module.training), tracked])

        handle = model.register_forward_hook(watch)
        try:
            got = evaluate(model, [(x, y) for x, y in batches])
        finally:
            handle.remove()
        names = [n or "the model" for n, m in model.named_modules() if not m.training]
        return {"returned": _returned(got, fr.put), "forwards": seen, "not_train": names[:20]}
