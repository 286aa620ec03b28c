"""Radially averaged power spectral density (RAPSD) and the log-spectral distance of SR from HR.

Power ``P = |FFT2(x)|^2 / (H W)`` (so white noise of variance s^2 has a flat spectrum at s^2),
averaged over rings of radius ``k = round(|f| * L)``, ``L = max(H, W)``, ``f`` the 2-D frequency
in cycles per pixel; rings ``k = 0 .. ceil(L/2) - 1`` (the corners past Nyquist and, for even L,
the Nyquist ring are left out, as pysteps' ``rapsd`` does). For square fields this is pysteps'
``rapsd(field, fft_method=numpy.fft)``. No window: the field is treated as periodic.

The metric: ``LSD = sqrt(mean_k (10 log10(P_sr(k) / P_hr(k)))^2)`` in dB over the band
``kmin <= k / (L/2) <= kmax`` (fractions of Nyquist), per sample and channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from srzoo_geo._context import GeoMetric


def radial_spectrum(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(wavenumbers in cycles per pixel (K,), ring-mean power (..., K)) of fields (..., H, W)."""
    if x.dim() < 2 or min(x.shape[-2:]) < 2:
        raise ValueError(f"rapsd: needs fields of at least 2x2 pixels, got shape {tuple(x.shape)}")
    x = x.detach().to(torch.float64)
    height, width = x.shape[-2:]
    size = max(height, width)
    fy = torch.fft.fftfreq(height, dtype=torch.float64, device=x.device) * size
    fx = torch.fft.fftfreq(width, dtype=torch.float64, device=x.device) * size
    ring = torch.round(torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)).long().flatten()
    rings = (size + 1) // 2
    keep = ring < rings
    power = torch.fft.fft2(x).abs().pow(2).flatten(-2)[..., keep] / (height * width)
    sums = torch.zeros(*x.shape[:-2], rings, dtype=torch.float64, device=x.device).index_add_(-1, ring[keep], power)
    counts = torch.bincount(ring[keep], minlength=rings)
    wavenumber = torch.arange(rings, dtype=torch.float64, device=x.device) / size
    return wavenumber, sums / counts


def radial_spectra(fields: Mapping[str, torch.Tensor], channel_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Spectra to plot, per variable: ``{"wavenumber": [...], "<variable>": {"<label>": [...]}}``.

    ``fields`` maps a label ("sr", "hr", "bicubic", …) to a (N, C, H, W) batch in physical units;
    each variable's spectrum is the mean over the batch. Wavenumbers are in cycles per pixel.
    """
    out: dict[str, Any] = {}
    for label, x in fields.items():
        if x.dim() != 4:
            raise ValueError(f"rapsd: {label!r} must be a (N, C, H, W) batch, got shape {tuple(x.shape)}")
        names = list(channel_names) if channel_names is not None else [f"ch{c}" for c in range(x.shape[1])]
        if len(names) != x.shape[1]:
            raise ValueError(f"rapsd: {len(names)} channel names for {x.shape[1]} channels of {label!r}")
        wavenumber, power = radial_spectrum(x)
        out.setdefault("wavenumber", wavenumber.tolist())
        for name, mean in zip(names, power.mean(0)):
            out.setdefault(name, {})[label] = mean.tolist()
    return out


def log_spectral_ratio(p_sr: torch.Tensor, p_hr: torch.Tensor) -> torch.Tensor:
    """10 log10(p_sr / p_hr) in dB, 0 where the two are equal (zero power on both sides included)."""
    return torch.where(p_sr == p_hr, torch.zeros_like(p_sr), 10 * torch.log10(p_sr / p_hr))


class RAPSD(GeoMetric):
    name = "rapsd"
    takes_mask = False  # a spectrum needs whole fields: no mask
    value_units = "dB"
    formula = "sqrt(mean_k (10 log10(P_sr(k) / P_hr(k)))^2) dB over kmin <= k/k_Nyquist <= kmax"

    def __init__(self, kmin: float, kmax: float):
        super().__init__()
        if not 0 <= kmin < kmax <= 1:
            raise ValueError(f"rapsd: the band needs 0 <= kmin < kmax <= 1 (fractions of Nyquist), got kmin={kmin}, kmax={kmax}")
        self.kmin, self.kmax = float(kmin), float(kmax)

    def options(self) -> dict[str, Any]:
        return {"kmin": self.kmin, "kmax": self.kmax}

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "units": "dB (log-spectral distance; inputs in physical units)",
                "spectrum": "|FFT2|^2/(H W), ring mean, rings round(|f| max(H, W)), no window (pysteps rapsd)"}

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        wavenumber, p_sr = radial_spectrum(sr)
        _, p_hr = radial_spectrum(hr)
        fraction = 2 * wavenumber  # of Nyquist (0.5 cycles per pixel)
        band = (fraction >= self.kmin - 1e-12) & (fraction <= self.kmax + 1e-12)
        if not band.any():
            raise ValueError(f"rapsd: no wavenumber of a {tuple(sr.shape[-2:])} field lies in the band "
                             f"[{self.kmin}, {self.kmax}] of Nyquist")
        return log_spectral_ratio(p_sr[..., band], p_hr[..., band]).pow(2).mean(-1).sqrt()

    def spectra(self, sr: torch.Tensor, hr: torch.Tensor, **others: torch.Tensor) -> dict[str, Any]:
        """Mean spectra of sr, hr (and any other labelled batches, e.g. ``bicubic=``) per variable,
        named by the run's channel names when ``setup`` gave them."""
        return radial_spectra({"sr": sr, "hr": hr, **others}, self.context.channel_names)


def rapsd(kmin: float = 0.5, kmax: float = 1.0) -> RAPSD:
    """Log-spectral distance (dB) of SR from HR radially averaged power spectra over the band
    [kmin, kmax] of Nyquist, per sample and channel; lower is better."""
    return RAPSD(kmin, kmax)
