"""Synthetic weather-like grids, so grid workflows (tests, examples) run with no data at hand.

Each channel is a Gaussian random field with an isotropic power-law spectrum: amplitude
``|F(k)| ~ k**-2``, i.e. a shell-integrated energy spectrum ``E(k) ~ k**-3`` like the enstrophy
range of 2-D turbulence, so fields are smooth with detail at every scale. Channels are correlated
(channel c >= 1 shares a fraction ``rho`` of channel 0's field) and shifted into physical-looking
units: channel 0 is temperature-like, around 280 K with a few K of variation plus a random
north-south gradient; channel 1 is wind-like, around 0 with ~6 m/s spread; further channels are
dimensionless, around 0 with unit spread.
"""

from __future__ import annotations

import numpy as np

SYNTHETIC_DATA_SEED = 20240604   # fixed: the data never change with the training seed
SYNTHETIC_DEFAULT_SAMPLES = 256
CHANNEL_DOC = (
    "ch0: temperature-like, ~280 K +- a few K with a random meridional gradient",
    "ch1: wind-like, ~0 +- 6 m/s, correlated with ch0 (rho = -0.5)",
)


def power_law_fields(rng: np.random.Generator, shape: tuple[int, ...], size: int, slope: float = 3.0) -> np.ndarray:
    """Gaussian random fields with shell energy spectrum ``k**-slope``, shaped shape + (size, size), unit std."""
    k1 = np.fft.fftfreq(size) * size
    k = np.sqrt(k1[:, None] ** 2 + k1[None, :] ** 2)
    amp = np.zeros_like(k)
    amp[k > 0] = k[k > 0] ** (-(slope + 1.0) / 2.0)
    noise = rng.standard_normal(shape + (size, size))
    fields = np.fft.ifft2(np.fft.fft2(noise) * amp).real
    fields -= fields.mean(axis=(-2, -1), keepdims=True)
    return fields / fields.std()


def synthetic_grid(n: int = SYNTHETIC_DEFAULT_SAMPLES, channels: int = 2, size: int = 64,
                   seed: int = SYNTHETIC_DATA_SEED) -> np.ndarray:
    """``n`` smooth multi-channel fields shaped (n, channels, size, size), float64, physical-looking units."""
    rng = np.random.default_rng(seed)
    z = power_law_fields(rng, (n, channels), size)
    rho = -0.5
    out = np.empty_like(z)
    out[:, 0] = z[:, 0]
    out[:, 1:] = rho * z[:, :1] + np.sqrt(1.0 - rho * rho) * z[:, 1:]
    y = np.linspace(-1.0, 1.0, size)[None, :, None]
    gradient = rng.normal(-3.0, 1.0, size=(n, 1, 1)) * y          # colder towards one edge
    offset = rng.normal(0.0, 1.5, size=(n, 1, 1))                  # sample-to-sample (weather) shifts
    out[:, 0] = 280.0 + offset + gradient + 3.0 * out[:, 0]
    if channels > 1:
        out[:, 1] = 6.0 * out[:, 1]
    return out
