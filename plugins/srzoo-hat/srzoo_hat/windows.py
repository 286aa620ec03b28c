"""HAT's relative-position index of a query window against its larger overlapping key window;
the rest of the window machinery is :mod:`srzoo_core.layers`."""

from __future__ import annotations

import torch

from srzoo_core.layers import window_grid


def overlap_attention_index(window: int, overlap_window: int) -> torch.Tensor:
    """(window², overlap_window²) rows of the (window + overlap_window − 1)² bias table for a query
    window against its overlapping key window. As in the official code the key-minus-query offset
    is shifted by window − overlap_window + 1, so some indices are negative and count from the
    table's end; pretrained tables were learned with exactly these indices."""
    qy, qx = window_grid(window)
    ky, kx = window_grid(overlap_window)
    shift = window - overlap_window + 1
    dy = ky[None, :] - qy[:, None] + shift
    dx = kx[None, :] - qx[:, None] + shift
    return dy * (window + overlap_window - 1) + dx
