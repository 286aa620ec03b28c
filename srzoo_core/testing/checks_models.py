"""Checks of the modules: generators, discriminators and blocks, against the contracts in
:mod:`srzoo_core.interfaces`. Every size here is tiny so a whole plugin checks in seconds."""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from srzoo_core.interfaces import GENERATOR_SLOTS, optional_attribute
from srzoo_core.registry import ComponentInfo
from srzoo_core.testing._kit import (
    CheckFailed,
    Recorder,
    channels_word,
    check_declared_attributes,
    describe_exception,
    require,
)

GEN_CHANNELS = (1, 2, 3, 4)
GEN_INPUT = (16, 32)      # H, W: not square (catches swapped axes), multiples of 16 (fits encoder-decoders)
ODD_INPUT = (15, 13)
DISC_CHANNELS = (1, 2, 3)
DISC_SIZES = (32, 64, 96)
BLOCK_CHANNELS = (8, 32)
BLOCK_INPUT = (12, 16)


# -- helpers -----------------------------------------------------------------------------------

def _shape(y: Any) -> Any:
    return tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__


def expect_upscaled(y: Any, x: torch.Tensor, scale: int, where: str) -> None:
    n, c, h, w = x.shape
    expected = (n, c, h * scale, w * scale)
    if isinstance(y, torch.Tensor) and tuple(y.shape) == expected:
        return
    why = f"{where}: input {tuple(x.shape)} gave {_shape(y)}, expected {expected}"
    if isinstance(y, torch.Tensor) and y.dim() == 4 and y.shape[2] % h == 0 and y.shape[2] // h == y.shape[3] / w:
        factor = y.shape[2] // h
        if factor != scale:
            why += f" (it upscales ×{factor}, not ×{scale}: is the scale argument ignored?)"
    raise CheckFailed(why)


def expect_logits(y: Any, n: int, where: str) -> None:
    ok = isinstance(y, torch.Tensor) and (tuple(y.shape) == (n, 1) or (y.dim() == 4 and tuple(y.shape[:2]) == (n, 1)))
    require(ok, f"{where}: output {_shape(y)}, expected logits of shape ({n}, 1) or ({n}, 1, h, w)")
    require(torch.isfinite(y.float()).all(), f"{where}: non-finite logits")


def missing_gradients(module: nn.Module) -> list[str]:
    """Parameters that require grad but got none (or a non-finite one) from the last backward."""
    return [n for n, p in module.named_parameters()
            if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]


def require_gradients(module: nn.Module) -> None:
    missing = missing_gradients(module)
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    require(not missing, f"no finite gradient reaches {len(missing)} parameter(s): {shown}")


def returns_module(rec: Recorder, make: Callable[[], Any]) -> bool:
    """The factory's first contract: it returns an ``nn.Module`` (else every other check would only
    repeat the same failure in a more confusing way)."""
    try:
        module = make()
    except (Exception, SystemExit):
        return True  # a factory that raises fails each check that builds it, with its own message
    with rec.check("returns a module"):
        require(isinstance(module, nn.Module), f"the factory returned {type(module).__name__}, not a torch.nn.Module")
        return True
    return False


def _seeded_eval(module: nn.Module, run: Callable[[nn.Module], Any]) -> torch.Tensor:
    module.eval()
    torch.manual_seed(1234)  # a stochastic layer draws the same numbers in both runs
    with torch.no_grad():
        return run(module)


def check_round_trip(rec: Recorder, make: Callable[[], nn.Module], run: Callable[[nn.Module], Any]) -> None:
    with rec.check("state-dict round trip"):
        torch.manual_seed(0)
        original = make()
        torch.manual_seed(1)
        copy = make()
        copy.load_state_dict(original.state_dict(), strict=True)
        a, b = _seeded_eval(original, run), _seeded_eval(copy, run)
        require(a.shape == b.shape and torch.allclose(a, b, rtol=1e-5, atol=1e-6),
                f"a second instance after load_state_dict(strict=True) gives a different output (max difference "
                f"{(a - b).abs().max().item() if a.shape == b.shape else 'shape'}): some state is outside the state dict")


# -- generators --------------------------------------------------------------------------------

class _ProbeBlock:
    """A block maker for one slot that counts how often the host builds it."""

    def __init__(self, slot: str):
        self.slot = slot
        self.calls = 0

    def __call__(self, channels: int, scale: int | None = None) -> nn.Module:
        self.calls += 1
        conv = nn.Conv2d(channels, channels, 3, padding=1)
        return nn.Sequential(nn.Upsample(scale_factor=scale, mode="nearest"), conv) if self.slot == "upsampler" else conv


def generator(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    scales = info.scales or (4,)
    main = 4 if 4 in scales else scales[0]

    def build(channels: int = 3, scale: int = main, **slots: Any) -> nn.Module:
        return factory(in_channels=channels, out_channels=channels, scale=scale, **params, **slots)

    def forward(module: nn.Module) -> torch.Tensor:
        return module(torch.rand(1, 3, *GEN_INPUT, generator=torch.Generator().manual_seed(7)))

    if not returns_module(rec, build):
        return
    check_declared_attributes(rec, build, "gen")
    with rec.check("slots"):
        names = {p.name for p in info.signature_params()}
        for slot in info.slots:
            require(slot in GENERATOR_SLOTS, f"declares {slot!r}, which is not a generator slot ({', '.join(GENERATOR_SLOTS)})")
            require(slot in names, f"declares slot {slot!r} but the factory has no keyword parameter {slot!r}")
            probe = _ProbeBlock(slot)
            x = torch.rand(1, 3, *GEN_INPUT)
            with torch.no_grad():
                expect_upscaled(build(**{slot: probe})(x), x, main, f"with a block in slot {slot!r}")
            require(probe.calls, f"slot {slot!r} is declared but the block given to it is never built")

    with rec.check("output size"):
        for scale in scales:
            for c in GEN_CHANNELS:
                x = torch.rand(2, c, *GEN_INPUT)
                with torch.no_grad():
                    expect_upscaled(build(c, scale)(x), x, scale, f"scale {scale}, {channels_word(c)}")

    with rec.check("odd input size"):
        module = build()
        x = torch.rand(1, 3, *ODD_INPUT)
        try:
            with torch.no_grad():
                y = module(x)
        except ValueError:
            pass  # refused clearly
        except Exception as exc:
            raise CheckFailed(f"input {tuple(x.shape)} {describe_exception(exc)}; "
                              "a generator must upscale odd sizes or refuse them with ValueError") from None
        else:
            expect_upscaled(y, x, main, "odd input")

    with rec.check("gradients"):
        module = build()
        y = module(torch.rand(2, 3, *GEN_INPUT))
        (y * torch.randn_like(y)).sum().backward()
        require_gradients(module)

    check_round_trip(rec, build, forward)

    with rec.check("deterministic"):
        torch.manual_seed(0)
        a = build()
        torch.manual_seed(0)
        b = build()
        sa, sb = a.state_dict(), b.state_dict()
        differ = [k for k in sa if k not in sb or sa[k].shape != sb[k].shape or not torch.equal(sa[k], sb[k])]
        require(not differ and sa.keys() == sb.keys(),
                f"two builds under torch.manual_seed(0) have different weights ({', '.join(differ[:3]) or 'keys'})")
        ya, yb = _seeded_eval(a, forward), _seeded_eval(b, forward)
        require(torch.equal(ya, yb), "two builds under torch.manual_seed(0) give different outputs for the same input")

    with rec.check("bf16 autocast"):
        module = build().eval()
        x = torch.rand(1, 3, *GEN_INPUT)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            y = module(x)
        expect_upscaled(y, x, main, "under torch.autocast('cpu', dtype=torch.bfloat16)")
        require(torch.isfinite(y.float()).all(), "non-finite output under torch.autocast('cpu', dtype=torch.bfloat16)")


# -- discriminators ----------------------------------------------------------------------------

def call_discriminator(disc: nn.Module, x: torch.Tensor) -> Any:
    """``disc(x)``, or ``disc(x, lr)`` with an LR of a quarter the size when ``needs_lr`` is set."""
    if optional_attribute(disc, "disc", "needs_lr"):
        n, c, h, w = x.shape
        return disc(x, torch.rand(n, c, h // 4, w // 4))
    return disc(x)


def discriminator_checks(rec: Recorder, make: Callable[[int], nn.Module]) -> None:
    if not returns_module(rec, lambda: make(3)):
        return
    check_declared_attributes(rec, lambda: make(3), "disc")
    with rec.check("logits"):
        for c in DISC_CHANNELS:
            disc = make(c)
            for size in DISC_SIZES:
                with torch.no_grad():
                    y = call_discriminator(disc, torch.rand(2, c, size, size))
                expect_logits(y, 2, f"{channels_word(c)}, {size}×{size}")

    with rec.check("gradients"):
        disc = make(3)
        x = torch.rand(2, 3, 64, 64, requires_grad=True)
        y = call_discriminator(disc, x)
        require(isinstance(y, torch.Tensor) and y.requires_grad, "the logits are not differentiable (no grad_fn)")
        y.float().sum().backward()
        require(x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0,
                "no gradient reaches the input image")

    fixed = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(7))
    check_round_trip(rec, lambda: make(3), lambda d: call_discriminator(d, fixed))


def discriminator(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    discriminator_checks(rec, lambda c: factory(in_channels=c, **params))


# -- blocks ------------------------------------------------------------------------------------

class TinyDiscriminator(nn.Module):
    """The inner discriminator handed to wrapper blocks: two convs, patch logits."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(in_channels, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def constraint(rec: Recorder, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    """A ``constraint`` block: ``factory(scale)``, ``forward(sr, lr)`` keeps sr's shape, finite, and
    passes gradients to sr (inputs in [0.1, 0.9]: positive, as a physical-units constraint may need)."""
    with rec.check("shape"):
        for c in BLOCK_CHANNELS:
            for scale in (2, 4):
                lr = 0.1 + 0.8 * torch.rand(2, c, *BLOCK_INPUT)
                sr = 0.1 + 0.8 * torch.rand(2, c, BLOCK_INPUT[0] * scale, BLOCK_INPUT[1] * scale)
                with torch.no_grad():
                    y = factory(scale, **params)(sr, lr)
                require(isinstance(y, torch.Tensor) and y.shape == sr.shape and torch.isfinite(y).all(),
                        f"{channels_word(c)}, scale {scale}: returned {_shape(y)} for sr {tuple(sr.shape)}, expected finite values of sr's shape")
    with rec.check("gradients"):
        sr = (0.1 + 0.8 * torch.rand(2, 8, 24, 32)).requires_grad_()
        y = factory(2, **params)(sr, 0.1 + 0.8 * torch.rand(2, 8, 12, 16))
        (y * torch.randn_like(y)).sum().backward()
        require(sr.grad is not None and torch.isfinite(sr.grad).all() and sr.grad.abs().sum() > 0,
                "no gradient reaches the generator's output through the constraint")


def block(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    if info.slot == "constraint":
        constraint(rec, factory, params)
        return
    if info.slot == "wrapper":
        built: list[int] = []

        def inner(in_channels: int) -> nn.Module:
            built.append(in_channels)
            return TinyDiscriminator(in_channels)

        discriminator_checks(rec, lambda c: factory(inner, in_channels=c, **params))
        with rec.check("wraps"):
            built.clear()
            factory(inner, in_channels=3, **params)
            require(built, "the wrapper never builds the inner discriminator it is given")
        return

    upsampler = info.slot == "upsampler"
    scales = (2, 4) if upsampler else (1,)

    def make(channels: int, scale: int) -> nn.Module:
        return factory(channels, scale, **params) if upsampler else factory(channels, **params)

    if not returns_module(rec, lambda: make(8, scales[0])):
        return

    with rec.check("shape"):
        for c in BLOCK_CHANNELS:
            for scale in scales:
                x = torch.rand(2, c, *BLOCK_INPUT)
                with torch.no_grad():
                    expect_upscaled(make(c, scale)(x), x, scale, f"{channels_word(c)}" + (f", scale {scale}" if upsampler else ""))
        if upsampler:  # ×3 must work or be refused with ValueError
            x = torch.rand(2, 8, *BLOCK_INPUT)
            try:
                module = make(8, 3)
            except ValueError:
                pass
            else:
                with torch.no_grad():
                    expect_upscaled(module(x), x, 3, "8 channels, scale 3")

    with rec.check("gradients"):
        module = make(16, scales[-1])
        x = torch.rand(2, 16, *BLOCK_INPUT, requires_grad=True)
        y = module(x)
        (y * torch.randn_like(y)).sum().backward()
        require(x.grad is not None and x.grad.abs().sum() > 0, "no gradient reaches the block's input")
        require_gradients(module)

