"""Strobe's optimizers against PyTorch in Python, through tests/tools/optimizer_replay: the same starting
parameters, 30 steps of the same gradients and a changing LR, Strobe's two parameter groups (weight decay on
tensors of two or more dimensions only). SGD and AdamW against torch.optim.SGD and torch.optim.AdamW; LAMB (You et
al. 2019, Algorithm 2) and LARS (You et al. 2017, as timm's Lars) against their rules written out here. Every
parameter must agree within 1e-6 relative (largest difference over the tensor's largest value).
Usage: /usr/bin/python3 optimizer_reference.py OPTIMIZER_REPLAY   (exit 77: no torch)"""
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    sys.exit(77)

replay = sys.argv[1]
torch.manual_seed(0)
shapes = {"conv": (8, 3, 3, 3), "convbias": (8,), "fc": (10, 72), "fcbias": (10,), "bn": (8,)}
start = {name: torch.randn(shape) for name, shape in shapes.items()}
steps = 30
gradients = [{name: torch.randn(shape) * (1 + 0.1 * t) for name, shape in shapes.items()} for t in range(steps)]
lrs = [0.01 * (1 + t % 5) for t in range(steps)]


def strobe(optimizer, *flags):
    with tempfile.TemporaryDirectory() as work:
        data = {f"param/{name}": value for name, value in start.items()}
        for t, step in enumerate(gradients):
            data.update({f"grad/{t}/{name}": value for name, value in step.items()})
        data["lr"] = torch.tensor(lrs, dtype=torch.float64)
        torch.save(data, f"{work}/in.pt")
        subprocess.run([replay, optimizer, f"{work}/in.pt", f"{work}/out.pt", *flags], check=True)
        return torch.load(f"{work}/out.pt")


def torch_optim(make):
    parameters = {name: value.clone().requires_grad_() for name, value in start.items()}
    decayed = [p for p in parameters.values() if p.dim() >= 2]
    plain = [p for p in parameters.values() if p.dim() < 2]
    optimizer = make(decayed, plain)
    for t in range(steps):
        for name, p in parameters.items():
            p.grad = gradients[t][name].clone()
        for group in optimizer.param_groups:
            group["lr"] = lrs[t]
        optimizer.step()
    return {name: p.detach() for name, p in parameters.items()}


def by_rule(update):
    """Applies update(name, w, g, state, lr, decayed) -> new w for every tensor and step."""
    weights = {name: value.clone() for name, value in start.items()}
    states = {name: {} for name in start}
    for t in range(steps):
        for name in weights:
            weights[name] = update(weights[name], gradients[t][name], states[name], lrs[t], weights[name].dim() >= 2)
    return weights


def lamb(wd, beta1=0.9, beta2=0.999, eps=1e-8):
    def update(w, g, state, lr, decayed):
        state["t"] = state.get("t", 0) + 1
        state["m"] = beta1 * state.get("m", torch.zeros_like(w)) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", torch.zeros_like(w)) + (1 - beta2) * g * g
        r = (state["m"] / (1 - beta1 ** state["t"])) / ((state["v"] / (1 - beta2 ** state["t"])).sqrt() + eps)
        if not decayed:  # BatchNorm parameters and biases: no decay, no layer-wise ratio (--lars_exclude)
            return w - lr * r
        u = r + wd * w
        return w - lr * (w.norm() / u.norm()) * u
    return update


def lars(wd, eta=0.001, momentum=0.9, eps=1e-8):
    def update(w, g, state, lr, decayed):
        d = g + (wd * w if decayed else 0)
        if decayed:
            d = d * eta * w.norm() / (g.norm() + wd * w.norm() + eps)
        state["buf"] = d.clone() if "buf" not in state else momentum * state["buf"] + d
        return w - lr * state["buf"]
    return update


cases = {
    "sgd": (strobe("sgd", "--weight_decay=5e-4", "--momentum=0.9", "--nesterov=1"),
            torch_optim(lambda d, p: torch.optim.SGD([{"params": d, "weight_decay": 5e-4}, {"params": p}], lr=0.1,
                                                     momentum=0.9, nesterov=True))),
    "adamw": (strobe("adamw", "--weight_decay=0.05", "--opt_beta1=0.8", "--opt_beta2=0.99", "--opt_eps=1e-7"),
              torch_optim(lambda d, p: torch.optim.AdamW([{"params": d, "weight_decay": 0.05},
                                                          {"params": p, "weight_decay": 0.0}],
                                                         lr=0.1, betas=(0.8, 0.99), eps=1e-7))),
    "lamb": (strobe("lamb", "--weight_decay=0.01"), by_rule(lamb(0.01))),
    "lars": (strobe("lars", "--weight_decay=5e-5", "--nesterov=0", "--lars_trust_coefficient=0.02"),
             by_rule(lars(5e-5, eta=0.02))),
}
failed = False
for optimizer, (ours, reference) in cases.items():
    worst = max(((ours[n] - reference[n]).abs().max() / reference[n].abs().max()).item() for n in start)
    moved = min(((reference[n] - start[n]).abs().max() / start[n].abs().max()).item() for n in start)
    ok = worst <= 1e-6 and moved > 1e-3
    failed |= not ok
    print(f"{'ok' if ok else 'FAIL'}: {optimizer}: largest relative difference {worst:.2e} after {steps} steps "
          f"(the parameters moved by {moved:.2e} or more)")
sys.exit(1 if failed else 0)
