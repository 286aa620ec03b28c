"""Ablation changes: parsing `--add` / `--swap`, applying them to the spec tree, naming arms, and the
errors a user gets for a bad change."""

from __future__ import annotations

import pytest

from srzoo_core.errors import SpecError, UsageError
from srzoo_core.experiments.changes import expand, parse_add, parse_swap

BASE = "gen=srresnet(blocks=4) disc=patchgan loss=l1+ssim+0.01*gan"


def names_and_specs(arms):
    return [(a.name, a.spec) for a in arms]


def test_each_change_alone_and_all_together():
    arms = expand(BASE, [parse_add("gen:se"), parse_add("gen:multiscale")])
    assert names_and_specs(arms) == [
        ("baseline", "gen=srresnet(blocks=4) disc=patchgan loss=l1+ssim+0.01*gan"),
        ("+se", "gen=srresnet(blocks=4)+se disc=patchgan loss=l1+ssim+0.01*gan"),
        ("+multiscale", "gen=srresnet(blocks=4)+multiscale disc=patchgan loss=l1+ssim+0.01*gan"),
        ("+se+multiscale", "gen=srresnet(blocks=4)+se+multiscale disc=patchgan loss=l1+ssim+0.01*gan"),
    ]


def test_one_change_has_no_separate_all_arm():
    assert [a.name for a in expand(BASE, [parse_add("gen:se")])] == ["baseline", "+se"]


def test_factorial_gives_every_subset():
    arms = expand("gen=srresnet loss=l1", [parse_add("gen:se"), parse_add("gen:multiscale"), parse_swap("loss:l1=charbonnier")], factorial=True)
    assert [a.name for a in arms] == ["baseline", "+se", "+multiscale", "+l1=charbonnier", "+se+multiscale", "+se+l1=charbonnier",
                                      "+multiscale+l1=charbonnier", "+se+multiscale+l1=charbonnier"]


def test_parameters_and_weights_reach_the_spec_and_the_name():
    arms = expand("gen=srresnet loss=l1", [parse_add("gen:se(reduction=8)"), parse_add("loss:0.1*charbonnier")])
    assert names_and_specs(arms)[1:3] == [
        ("+se.reduction=8", "gen=srresnet+se(reduction=8) loss=l1"),
        ("+charbonnier@0.1", "gen=srresnet loss=l1+0.1*charbonnier"),
    ]


def test_swap_replaces_a_term_and_keeps_its_weight():
    arms = expand("gen=srresnet disc=patchgan loss=l1+0.01*gan", [parse_swap("loss:gan=gan(kind=hinge)"), parse_swap("gen:srresnet=srresnet(blocks=8)")])
    assert names_and_specs(arms)[1:3] == [
        ("+gan=gan.kind=hinge", "gen=srresnet disc=patchgan loss=l1+0.01*gan(kind=hinge)"),
        ("+srresnet=srresnet.blocks=8", "gen=srresnet(blocks=8) disc=patchgan loss=l1+0.01*gan"),
    ]


def test_add_a_role_the_base_lacks():
    arms = expand("gen=srresnet loss=l1", [parse_add("metric:psnr")])
    assert arms[1].spec == "gen=srresnet loss=l1 metric=psnr"


@pytest.mark.parametrize("text, message", [
    ("gense", "--add 'gense': expected ROLE:TERM"),
    ("gen:", "--add 'gen:': expected ROLE:TERM"),
    ("gem:se", "--add 'gem:se': unknown role 'gem'"),
    ("gen:se+multiscale", "give one term per change"),
    ("gen:0.1*se", "--add: weights are allowed only in loss=, not in gen="),
])
def test_bad_add_syntax(text, message):
    with pytest.raises(UsageError) as caught:
        parse_add(text)
    assert message in caught.value.render()


def test_unknown_role_suggests_the_close_one():
    with pytest.raises(UsageError) as caught:
        parse_add("gem:se")
    assert "did you mean gen:se?" in caught.value.render()


def test_term_syntax_error_points_into_the_change():
    with pytest.raises(SpecError) as caught:
        parse_add("gen:se(reduction=)")
    text = caught.value.render()
    assert "--add: expected a value" in text
    lines = text.splitlines()
    assert lines[1].strip() == "gen:se(reduction=)"
    assert lines[2].index("^") - lines[1].index("g") == len("gen:se(reduction=")


@pytest.mark.parametrize("text, message", [
    ("loss:=mse", "expected ROLE:OLD=NEW or ROLE:NEW"),
    ("loss:l1=", "expected ROLE:OLD=NEW or ROLE:NEW"),
])
def test_bad_swap_syntax(text, message):
    with pytest.raises(UsageError) as caught:
        parse_swap(text)
    assert message in caught.value.render()


def test_swap_without_old_replaces_the_whole_role():
    from srzoo_core.spec import parse

    spec = parse("gen=srresnet loss=l1+0.01*gan disc=patchgan deg=blur+resize(final=true)")
    change = parse_swap("deg:realesrgan")
    change.apply(spec)
    assert [t.name for t in spec.roles["deg"].terms] == ["realesrgan"] and change.label == "deg=realesrgan"
    bare = parse("gen=srresnet")
    parse_swap("deg:bicubic").apply(bare)
    assert [t.name for t in bare.roles["deg"].terms] == ["bicubic"]


def test_swap_of_a_missing_term_names_the_ones_there():
    with pytest.raises(UsageError) as caught:
        expand(BASE, [parse_swap("loss:l2=mse")])
    assert "--swap loss:l2=mse: loss= has no term 'l2'" in caught.value.render()
    assert "its terms are: l1, ssim, gan" in caught.value.render()


def test_a_change_that_makes_an_invalid_spec_names_the_arm():
    with pytest.raises(SpecError) as caught:
        expand("gen=srresnet loss=l1", [parse_add("gen:se"), parse_add("disc:patchgan")])
    text = caught.value.render()
    assert "arm '+patchgan' (--add disc:patchgan) is not a valid spec: disc=patchgan is given but no loss uses it" in text
    assert "gen=srresnet disc=patchgan loss=l1" in text and "^" in text


def test_unknown_component_in_a_change():
    with pytest.raises(SpecError) as caught:
        expand("gen=srresnet loss=l1", [parse_add("gen:sse")])
    assert "arm '+sse'" in caught.value.render() and "did you mean" in caught.value.render()


def test_adding_a_term_already_there():
    with pytest.raises(UsageError) as caught:
        expand("gen=srresnet+se loss=l1", [parse_add("gen:se(reduction=4)")])
    assert "gen= already has 'se'" in caught.value.render()
    assert "--swap gen:se=se(reduction=4)" in caught.value.render()


def test_a_change_that_changes_nothing_is_refused():
    with pytest.raises(UsageError, match="are the same model"):
        expand("gen=srresnet(blocks=16) loss=l1", [parse_swap("gen:srresnet=srresnet")])


def test_two_changes_with_one_name_are_refused():
    with pytest.raises(UsageError, match="both named 'se'"):
        expand("gen=srresnet loss=l1", [parse_add("gen:se"), parse_add("gen:se")])


def test_bad_base_spec_is_a_spec_error():
    with pytest.raises(SpecError, match="base spec: unknown generator"):
        expand("gen=srresnett loss=l1", [parse_add("gen:se")])


def test_cli_reports_change_errors(cli, tmp_path):
    code, out, err = cli("ablate", "gen=srresnet loss=l1", "--add", "gense", "--out", str(tmp_path))
    assert code == 2 and "error: --add 'gense': expected ROLE:TERM" in err and "Traceback" not in err
    code, _, err = cli("ablate", "gen=srresnet loss=l1", "--add", "disc:patchgan", "--out", str(tmp_path))
    assert code == 2 and "is not a valid spec" in err
    assert not any(tmp_path.iterdir())  # nothing planned, nothing written
