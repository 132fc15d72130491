#!/usr/bin/env python3
"""PyTorch baseline worker of `go run ./mixflowlib/cmd/bench` (embedded in the Go binary; not a library).

The Go command starts one worker per PyTorch thread count, with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS set to that count, and drives it over stdin/stdout, one JSON object per line each way:

    argv[1]            JSON spec: {"workload", "kind": "mlp"|"sit", "model": {...}, "train": {...}, "threads"}
    -> (on start)      {"ready": true, "params": <trainable parameters>, "torch": "<version>", ...}
    "steps N"          run N steps -> {"steps", "seconds", "cpu_seconds", "loss"}; a step is what the spec's
                       "mode" says: "train" (default) one training step, "sample" one Euler sampling run
                       of the batch, "features" the evaluator's feature extraction of the batch
    "build SPEC"       rebuild the model and optimiser from a new JSON spec (same thread count; saves
                       importing torch again) -> the same object as on start
    "verify DIR"       load DIR/verify.json + DIR/verify.bin (the Go model's weights under their GoMLX names,
                       and inputs x, t, labels), run the forward pass, write DIR/verify.out.bin (float32)
                       -> {"verified": true, "assigned": <parameters assigned>}
    "quit"             exit 0

The networks re-implement mixflowlib/backbone/mlp (plain, unconditional) and mixflowlib/backbone/sit layer by
layer: the same layers, widths, embeddings, adaLN-Zero modulation, fused qkv projection and attention, so the
parameter counts agree and, with the Go weights loaded, the outputs agree to float32 rounding (checked by
"verify"). One training step does what mixflowlib/trainer's compiled step does: draw the batch on the host,
MixFlow's times (t = sqrt(U), m = t(1 - gamma U')), the noise and the label dropout, the loss
mean((v(x_m, t | y) - (x1 - x0))^2), backward, the global gradient norm (and clipping when asked), the
optimiser update only when loss and gradient norm are finite, the EMA update when asked, and loss.item().
"""
import json
import math
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as exc:  # the Go side turns exit code 3 into the "apt-get install python3-torch" message
    print(json.dumps({"error": "no_torch", "detail": str(exc)}), flush=True)
    sys.exit(3)


def timestep_embedding(t, dim, max_period, scale):
    """[cos(t f_0), ..., cos(t f_{h-1}), sin(t f_0), ..., sin(t f_{h-1})], f_i = scale max_period^(-i/h)."""
    half = dim // 2
    freqs = scale * torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    args = t[:, None].float() * freqs.float()[None]
    return torch.cat([torch.cos(args), torch.sin(args)], -1)


class MLP(nn.Module):
    """mixflowlib/backbone/mlp, plain and unconditional: concat(x, e_t) -> depth x (Linear, act) -> Linear."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        act = c["activation"]
        if act not in ("silu", "swish"):
            raise ValueError(f"torch_baseline: MLP activation {act!r} not supported (silu only)")
        widths = [c["dim"] + c["time_dim"]] + [c["width"]] * c["depth"]
        self.hidden = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(c["depth"]))
        self.out = nn.Linear(c["width"], c["dim"])
        half = c["time_dim"] // 2
        freqs = c["time_scale"] * torch.exp(
            -math.log(c["time_max_period"]) * torch.arange(half, dtype=torch.float64) / half)
        self.register_buffer("freqs", freqs.float())

    def forward(self, x, t, labels=None):
        args = t[:, None] * self.freqs[None]
        h = torch.cat([x, torch.cos(args), torch.sin(args)], -1)
        for layer in self.hidden:
            h = F.silu(layer(h))
        return self.out(h)


def pos_embed_2d(gh, gw, dim):
    """DiT/MAE get_2d_sincos_pos_embed: first half of the channels encodes the column, second half the row."""

    def one_d(pos, d):
        half = d // 2
        omega = torch.pow(10000.0, -torch.arange(half, dtype=torch.float64) / half)
        a = pos[:, None] * omega[None]
        return torch.cat([torch.sin(a), torch.cos(a)], -1)

    rows = torch.arange(gh, dtype=torch.float64).repeat_interleave(gw)
    cols = torch.arange(gw, dtype=torch.float64).repeat(gh)
    return torch.cat([one_d(cols, dim // 2), one_d(rows, dim // 2)], -1).float()[None]


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden, freq_dim, scale):
        super().__init__()
        self.freq_dim, self.scale = freq_dim, scale
        self.mlp = nn.Sequential(nn.Linear(freq_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.freq_dim, 10000.0, self.scale))


class LabelEmbedder(nn.Module):
    def __init__(self, num_classes, hidden):
        super().__init__()
        self.num_classes = num_classes
        self.embedding_table = nn.Embedding(num_classes + 1, hidden)  # last row: the null class

    def forward(self, labels):
        return self.embedding_table(torch.where(labels < 0, torch.full_like(labels, self.num_classes), labels))


class Attention(nn.Module):
    """timm Attention(qkv_bias=True): fused qkv ordered (3, heads, head_dim), softmax(q k^T / sqrt(d)) v, proj."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        w = torch.softmax((q * hd ** -0.5) @ k.transpose(-2, -1), -1)
        return self.proj((w @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class Block(nn.Module):
    """adaLN-Zero DiT/SiT block."""

    def __init__(self, dim, heads, mlp_hidden):
        super().__init__()
        self.dim = dim
        self.adaLN_modulation = nn.Linear(dim, 6 * dim)
        self.attn = Attention(dim, heads)
        self.mlp = Mlp(dim, mlp_hidden)

    def forward(self, x, c):
        sh1, sc1, g1, sh2, sc2, g2 = self.adaLN_modulation(F.silu(c)).chunk(6, -1)
        x = x + g1[:, None] * self.attn(modulate(F.layer_norm(x, (self.dim,), eps=1e-6), sh1, sc1))
        return x + g2[:, None] * self.mlp(modulate(F.layer_norm(x, (self.dim,), eps=1e-6), sh2, sc2))


class FinalLayer(nn.Module):
    def __init__(self, dim, out):
        super().__init__()
        self.dim = dim
        self.adaLN_modulation = nn.Linear(dim, 2 * dim)
        self.linear = nn.Linear(dim, out)

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(F.silu(c)).chunk(2, -1)
        return self.linear(modulate(F.layer_norm(x, (self.dim,), eps=1e-6), shift, scale))


class SiT(nn.Module):
    """mixflowlib/backbone/sit on NHWC input: patchify + Linear (= DiT's stride-p Conv2d), fixed 2-D sin-cos
    position embedding, timestep MLP on raw t, label table with a null row, Depth adaLN-Zero blocks, final
    adaLN layer, unpatchify."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d, p, ch = c["hidden"], c["patch"], c["channels"]
        self.grid = c["image_size"] // p
        self.x_embedder = nn.Module()
        self.x_embedder.proj = nn.Linear(p * p * ch, d)
        self.register_buffer("pos_embed", pos_embed_2d(self.grid, self.grid, d))
        self.t_embedder = TimestepEmbedder(d, c["time_freq_dim"], c["time_scale"])
        self.y_embedder = LabelEmbedder(c["num_classes"], d) if c["num_classes"] > 0 else None
        self.blocks = nn.ModuleList(Block(d, c["heads"], c["mlp_hidden"]) for _ in range(c["depth"]))
        self.final_layer = FinalLayer(d, p * p * ch)

    def forward(self, x, t, labels=None):
        b, g, p, ch = x.shape[0], self.grid, self.c["patch"], self.c["channels"]
        tokens = x.reshape(b, g, p, g, p, ch).permute(0, 1, 3, 2, 4, 5).reshape(b, g * g, p * p * ch)
        h = self.x_embedder.proj(tokens) + self.pos_embed
        c = self.t_embedder(t)
        if self.y_embedder is not None:
            if labels is None:
                labels = torch.full((b,), -1, dtype=torch.long)
            c = c + self.y_embedder(labels)
        for block in self.blocks:
            h = block(h, c)
        out = self.final_layer(h, c)
        return out.reshape(b, g, g, p, p, ch).permute(0, 1, 3, 2, 4, 5).reshape(b, g * p, g * p, ch)


class ConvNet(nn.Module):
    """mixflowlib/evaluator's feature network (fmnist-convnet-v1) on NHWC [B, 28, 28, 1] in [-1, 1]:
    (x+1)/2, three stages of 3x3 convolution (padding 1; 32, 64, 32 channels) + ReLU + 2x2 max pooling
    (7x7 zero-padded to 8x8 before the last), flatten in HWC order, Linear(512, 128) + SiLU (the features),
    Linear(128, 10) (the logits). The Go side writes each convolution as im2col + Dense; PyTorch's own
    Conv2d is its fastest form here."""

    def __init__(self):
        super().__init__()
        chans = [1, 32, 64, 32]
        for i in range(3):
            setattr(self, f"conv{i}", nn.Conv2d(chans[i], chans[i + 1], 3, padding=1))
        self.features = nn.Linear(4 * 4 * 32, 128)
        self.logits = nn.Linear(128, 10)

    def forward(self, x):
        h = (x * 0.5 + 0.5).permute(0, 3, 1, 2)
        for i in range(3):
            h = F.relu(getattr(self, f"conv{i}")(h))
            if h.shape[-1] % 2 == 1:
                h = F.pad(h, (0, 1, 0, 1))
            h = F.max_pool2d(h, 2)
        f = F.silu(self.features(h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)))
        return f, self.logits(f)


def build(spec):
    if spec["kind"] == "convnet":
        return ConvNet()
    if spec["kind"] == "mlp":
        return MLP(spec["model"])
    if spec["kind"] == "sit":
        return SiT(spec["model"])
    raise ValueError(f"torch_baseline: unknown model kind {spec['kind']!r}")


def moons(n, noise):
    """Two moons as datasets/toy2d: outer (cos a, sin a), inner (1 - cos a, 1/2 - sin a), a ~ U[0, pi]."""
    a = torch.rand(n) * math.pi
    inner = torch.rand(n) < 0.5
    x = torch.where(inner, 1 - torch.cos(a), torch.cos(a))
    y = torch.where(inner, 0.5 - torch.sin(a), torch.sin(a))
    return torch.stack([x, y], 1) + noise * torch.randn(n, 2)


class Trainer:
    def __init__(self, spec, net):
        tr = spec["train"]
        self.net, self.spec, self.tr = net, spec, tr
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.batch = tr["batch"]
        kw = dict(lr=tr["lr"], betas=(tr["beta1"], tr["beta2"]), eps=tr["eps"])
        if tr.get("foreach") is not None:
            kw["foreach"] = tr["foreach"]
        if tr["optimizer"] == "adam":
            self.opt = torch.optim.Adam(self.params, weight_decay=tr["weight_decay"], **kw)
        elif tr["weight_decay"] == 0:
            # AdamW with zero decay is Adam; torch.optim.Adam skips AdamW's multiply by (1 - lr*0).
            self.opt = torch.optim.Adam(self.params, **kw)
        else:
            self.opt = torch.optim.AdamW(self.params, weight_decay=tr["weight_decay"], **kw)
        self.ema = [p.detach().clone() for p in self.params] if tr["ema_decay"] > 0 else None
        m = spec["model"]
        if spec["kind"] == "mlp":
            self.x_shape = (self.batch, m["dim"])
        else:
            self.x_shape = (self.batch, m["image_size"], m["image_size"], m["channels"])
        self.num_classes = m.get("num_classes", 0)

    def data(self):
        if self.spec["kind"] == "mlp":
            return moons(self.batch, self.tr["moons_noise"]), None
        x1 = torch.rand(self.x_shape) * 2 - 1  # images in [-1, 1], as the Go side's synthetic source
        labels = torch.randint(0, self.num_classes, (self.batch,)) if self.num_classes > 0 else None
        return x1, labels

    def step(self):
        tr, b = self.tr, self.batch
        x1, labels = self.data()
        t = torch.rand(b).sqrt()  # Beta(2, 1)
        m = t * (1 - tr["gamma"] * torch.rand(b))  # m ~ U[(1 - gamma) t, t]
        x0 = torch.randn(self.x_shape)
        if labels is not None and tr["label_dropout"] > 0:
            labels = torch.where(torch.rand(b) < tr["label_dropout"], torch.full_like(labels, -1), labels)
        mb = m.view(b, *([1] * (x1.dim() - 1)))
        xm = mb * x1 + (1 - mb) * x0
        loss = (self.net(xm, t, labels) - (x1 - x0)).square().mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in self.params]
        gnorm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        if math.isfinite(loss.item()) and math.isfinite(gnorm.item()):
            if tr["clip_grad_norm"] > 0:
                coef = torch.clamp(tr["clip_grad_norm"] / (gnorm + 1e-6), max=1.0)
                torch._foreach_mul_(grads, coef.item())
            self.opt.step()
            if self.ema is not None:
                with torch.no_grad():
                    d = tr["ema_decay"]
                    torch._foreach_mul_(self.ema, d)
                    torch._foreach_add_(self.ema, self.params, alpha=1 - d)
        return loss.item()


class SampleRunner:
    """mixflowlib/sampler's Euler ODE sampler, no guidance: x <- x + dt v(x, t_i | y) for t_i = i/steps,
    from fresh N(0, I) noise each step() (the Go side draws its noise on the host too), no gradients."""

    def __init__(self, spec, net):
        self.net, self.steps = net, spec["sample"]["steps"]
        m, b = spec["model"], spec["train"]["batch"]
        self.shape = (b, m["image_size"], m["image_size"], m["channels"])
        self.labels = torch.randint(0, m["num_classes"], (b,)) if m["num_classes"] > 0 else None

    def step(self):
        with torch.no_grad():
            x, dt = torch.randn(self.shape), 1.0 / self.steps
            for i in range(self.steps):
                x = x + dt * self.net(x, torch.full((self.shape[0],), i * dt), self.labels)
            return float(x.reshape(-1)[0])


class FeatureRunner:
    """mixflowlib/evaluator's Embed on one batch: finiteness and range checks, clip to [-1, 1], centre crop
    to 28x28, the network, features and class probabilities copied out as float64 (as Go's Embedding)."""

    def __init__(self, spec, net):
        self.net, f, b = net, spec["features"], spec["train"]["batch"]
        n, self.crop = f["image_size"], f["crop"]
        self.off = (n - self.crop) // 2
        self.x = torch.rand(b, n, n, 1) * 2 - 1

    def step(self):
        with torch.no_grad():
            x = self.x
            if not bool(torch.isfinite(x).all()) or float(x.abs().max()) > 2:
                raise ValueError("torch_baseline: images not finite or beyond +-2")
            o, c = self.off, self.crop
            x = x.clamp(-1, 1)[:, o:o + c, o:o + c, :].contiguous()
            f, logits = self.net(x)
            feats, probs = f.double().numpy(), torch.softmax(logits, -1).double().numpy()
            return float(feats[0, 0] + 0 * probs[0, 0])


def torch_name(go_path):
    """Maps a GoMLX variable path to the torch parameter name: /model/blocks_0/attn/qkv/dense/weights ->
    blocks.0.attn.qkv.weight, /model/t_embedder/mlp_0/dense/biases -> t_embedder.mlp.0.bias,
    /model/y_embedder/embedding_table -> y_embedder.embedding_table.weight."""
    parts = [p for p in go_path.split("/") if p]
    if parts and parts[0] in ("model", "classifier"):
        parts = parts[1:]
    parts = [p for p in parts if p != "dense"]
    last = {"weights": "weight", "biases": "bias", "embedding_table": "embedding_table.weight"}.get(parts[-1])
    if last is None:
        raise ValueError(f"torch_baseline: unexpected Go variable {go_path!r}")
    out = []
    for p in parts[:-1]:
        head, sep, tail = p.rpartition("_")
        out.append(f"{head}.{tail}" if sep and tail.isdigit() else p)
    return ".".join(out + [last])


def verify(net, folder):
    with open(os.path.join(folder, "verify.json")) as f:
        index = json.load(f)
    with open(os.path.join(folder, "verify.bin"), "rb") as f:
        blob = bytearray(f.read())
    tensors = {}
    for e in index:
        dtype = {"float32": torch.float32, "int32": torch.int32}[e["dtype"]]
        n = math.prod(e["shape"])
        tensors[e["name"]] = torch.frombuffer(blob, dtype=dtype, count=n, offset=e["offset"]).reshape(e["shape"])
    params = dict(net.named_parameters())
    assigned = set()
    with torch.no_grad():
        for name, value in tensors.items():
            if not name.startswith("/"):
                continue
            tn = torch_name(name)
            if tn not in params:
                raise ValueError(f"torch_baseline: Go variable {name} ({tn}) has no torch parameter")
            p = params[tn]
            if p.dim() == 4:  # Go's im2col Dense [(dy*3+dx)*Cin + cin, Cout] -> Conv2d [Cout, Cin, 3, 3]
                value = value.reshape(p.shape[2], p.shape[3], p.shape[1], p.shape[0]).permute(3, 2, 0, 1)
            elif tn.endswith(".weight") and not tn.endswith("embedding_table.weight"):
                value = value.reshape(-1, p.shape[0]).t()  # GoMLX [in, out...] -> torch Linear [out, in]
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError(f"torch_baseline: {name} has shape {list(value.shape)}, torch {tn} {list(p.shape)}")
            p.copy_(value)
            assigned.add(tn)
        missing = sorted(set(params) - assigned)
        if missing:
            raise ValueError(f"torch_baseline: torch parameters without a Go variable: {', '.join(missing)}")
        if isinstance(net, ConvNet):  # the evaluator: clip, centre crop, features
            x = tensors["x"].clamp(-1, 1)
            o = (x.shape[1] - 28) // 2
            out, _ = net(x[:, o:o + 28, o:o + 28, :].contiguous())
        else:
            labels = tensors.get("labels")
            out = net(tensors["x"], tensors["t"], labels.long() if labels is not None else None)
    with open(os.path.join(folder, "verify.out.bin"), "wb") as f:
        f.write(out.contiguous().numpy().astype("<f4").tobytes())
    return {"verified": True, "assigned": sum(params[n].numel() for n in assigned), "shape": list(out.shape)}


def blas_library():
    """Names the BLAS this process loaded: "openblas", "mkl", "reference" (Debian's libblas3, which makes
    PyTorch's matrix products many times slower) or "unknown"."""
    torch.ones(8, 8) @ torch.ones(8, 8)  # make sure the BLAS is loaded
    try:  # PyPI wheels link MKL statically (no libmkl in the maps; numpy's own OpenBLAS may be there)
        if "BLAS_INFO=mkl" in torch.__config__.show():
            return "mkl"
    except Exception:  # noqa: BLE001 - older builds without __config__
        pass
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line or "mkl" in line}
    except OSError:
        return "unknown"
    libs = {os.path.realpath(p) for p in libs}
    if any("openblas" in p for p in libs):
        return "openblas"
    if any("mkl" in p for p in libs):
        return "mkl"
    if any("libblas" in p for p in libs):
        return "reference"
    return "unknown"


def start(spec):
    """Builds the network and its trainer from spec; returns them and the "ready" reply."""
    torch.manual_seed(int(spec["train"].get("seed", 1)))
    net = build(spec)
    runner = {"train": Trainer, "sample": SampleRunner, "features": FeatureRunner}[spec.get("mode", "train")]
    trainer = runner(spec, net)
    return net, trainer, {
        "ready": True,
        "params": sum(p.numel() for p in net.parameters() if p.requires_grad),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "blas": blas_library(),
    }


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(int(spec["threads"]))
    net, trainer, ready = start(spec)
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        cmd = line.split(maxsplit=1)
        if not cmd:
            continue
        if cmd[0] == "quit":
            return
        if cmd[0] == "build":
            net, trainer, reply = start(json.loads(cmd[1]))
        elif cmd[0] == "steps":
            n = int(cmd[1])
            t0, c0 = time.perf_counter(), time.process_time()
            loss = float("nan")
            for _ in range(n):
                loss = trainer.step()
            reply = {"steps": n, "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
                     "loss": loss if math.isfinite(loss) else None}
        elif cmd[0] == "verify":
            reply = verify(net, cmd[1].strip())
        else:
            raise ValueError(f"torch_baseline: unknown command {line.strip()!r}")
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
