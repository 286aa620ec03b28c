"""srzoo_core.layers: the building blocks architecture plugins share (window attention helpers,
mean shift, pixel-shuffle upsampler, list options)."""

from __future__ import annotations

import pytest
import torch

from srzoo_core.layers import (
    MASKED,
    DropPath,
    PixelShuffleUpsample,
    int_sequence,
    mean_shift,
    pad_to_multiple,
    relative_position_index,
    shift_mask,
    window_partition,
    window_reverse,
)


def test_window_partition_then_reverse_is_the_identity():
    x = torch.randn(2, 8, 12, 5)
    windows = window_partition(x, 4)
    assert windows.shape == (2 * 2 * 3, 4, 4, 5)
    torch.testing.assert_close(windows[1], x[0, :4, 4:8], rtol=0, atol=0)  # row-major windows of the first image
    torch.testing.assert_close(window_reverse(windows, 4, 8, 12), x, rtol=0, atol=0)


def test_relative_position_index_addresses_the_offset_table():
    index = relative_position_index(3)
    assert index.shape == (9, 9) and index.dtype == torch.long
    assert index.min().item() == 0 and index.max().item() == 5 * 5 - 1
    assert torch.equal(index.diagonal(), torch.full((9,), 12))  # offset (0, 0) sits in the table's centre
    # tokens 0 (row 0, col 0) and 5 (row 1, col 2): offset (-1, -2) from the key's side
    assert index[0, 5].item() == (0 - 1 + 2) * 5 + (0 - 2 + 2)


def test_shift_mask_separates_regions_only_in_the_edge_windows():
    mask = shift_mask(8, 8, 4, 2)
    assert mask.shape == (4, 16, 16) and set(mask.unique().tolist()) == {MASKED, 0.0}
    assert (mask[0] == 0).all()  # the top-left window holds one region
    assert (mask[3] == 0).sum().item() == 4 * 4 * 4  # the corner window: four quarters of four tokens each


def test_pad_to_multiple_reflects_and_falls_back_to_replicate():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    assert pad_to_multiple(x, 4).shape == (1, 1, 4, 4)
    assert pad_to_multiple(x, 4)[0, 0, 3].tolist() == x[0, 0, 1].tolist()  # reflected
    assert pad_to_multiple(x, 8)[0, 0, -1].tolist() == [8.0, 9.0, 10.0, 11.0, 11.0, 11.0, 11.0, 11.0]  # replicated
    assert pad_to_multiple(x, 1) is x


def test_drop_path_is_the_identity_in_eval_and_drops_whole_samples_in_training():
    drop = DropPath(0.5)
    x = torch.ones(64, 3, 2, 2)
    assert drop.eval()(x) is x
    torch.manual_seed(0)
    y = drop.train()(x)
    per_sample = y.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}
    assert all(len(row.unique()) == 1 for row in per_sample)


def test_mean_shift():
    assert mean_shift(3).flatten().tolist() == pytest.approx([0.4488, 0.4371, 0.4040])
    assert mean_shift(3, "none").abs().sum() == 0 and mean_shift(2).shape == (1, 2, 1, 1)
    with pytest.raises(ValueError, match="rgb_mean must be div2k or none"):
        mean_shift(3, "imagenet")


@pytest.mark.parametrize("scale,convs", [(2, 1), (3, 1), (4, 2), (8, 3)])
def test_pixel_shuffle_upsample(scale, convs):
    up = PixelShuffleUpsample(5, scale)
    assert [k for k in up.state_dict() if k.endswith("weight")] == [f"{2 * i}.weight" for i in range(convs)]
    assert up(torch.rand(1, 5, 3, 4)).shape == (1, 5, 3 * scale, 4 * scale)


def test_pixel_shuffle_upsample_refuses_other_scales():
    with pytest.raises(ValueError, match="×5"):
        PixelShuffleUpsample(4, 5)


@pytest.mark.parametrize("value,length,expected", [
    ("6,6,6", None, (6, 6, 6)), ("(2, 3)", None, (2, 3)), ([4, 4], None, (4, 4)), (6, 3, (6, 6, 6)), (None, None, None),
])
def test_int_sequence_reads_list_options(value, length, expected):
    assert int_sequence("depths", value, length) == expected


@pytest.mark.parametrize("value", ["6,x", "0,6", "", (1.5,), True, 6])
def test_int_sequence_names_the_option_on_bad_values(value):
    with pytest.raises(ValueError, match="depths must be one or more positive whole numbers"):
        int_sequence("depths", value)
