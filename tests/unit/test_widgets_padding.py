"""The padding visualizer: the sizes it shows agree with torch for every setting its sliders offer,
it redraws once per slider move, and it draws without a display.

The comparison with torch used to run inside the widget on every redraw; it is a test, so it
lives here and covers every setting at once instead of the ones a reader happens to try.
"""
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from lecturelib import conv, widgets


def _settings(vis, dims):
    """conv's arguments (``vis.config()``) for every setting of the sliders, moved without redrawing."""
    vis.dims.value = dims
    controls = (vis.input_size, vis.kernel_size, vis.stride, vis.dilation, vis.mode)
    values = [range(c.min, c.max + 1) for c in controls[:-1]] + [vis.mode.options]
    vis._quiet = True  # as the twin's frames are drawn: the controls move, nothing redraws
    try:
        for setting in itertools.product(*values):
            for control, value in zip(controls, setting):
                control.value = value
            yield vis.config()
    finally:
        vis._quiet = False


def _size(fn, cfg):
    try:
        return fn(**cfg)
    except ValueError as err:
        return err


@pytest.mark.parametrize("dims", ["1-D", "2-D"])
def test_the_output_size_shown_is_torchs_for_every_slider_setting(dims):
    vis = widgets.padding_visualizer()
    shown = refused = 0
    for cfg in _settings(vis, dims):   # 12 input sizes x 6 kernels x 4 strides x 4 dilations x 4 modes
        ours, theirs = _size(conv.output_size, cfg), _size(conv.torch_output_size, cfg)
        if isinstance(ours, ValueError):   # the widget shows "no output": only right if torch refused
            assert isinstance(theirs, ValueError) and str(theirs).startswith("torch refused"), (cfg, ours, theirs)
            refused += 1
        else:
            assert ours == theirs, cfg
            shown += 1
    assert shown + refused == 4608 and shown > 1000 and refused > 100   # both branches are exercised
    plt.close("all")


def test_each_slider_move_redraws_once_and_the_status_shows_the_size():
    vis = widgets.padding_visualizer(dims="2-D", input_size=5, kernel_size=3, mode="same")
    drawn = []
    vis.show = lambda fig: (drawn.append(fig), plt.close(fig))
    assert vis.status.value == "padding (left, right) per dimension: ((1, 1), (1, 1)); output size (5, 5)"
    assert (vis.step.value, vis.step.max) == (0, 24)   # every output of the 5 x 5 grid, from the start
    vis.step.value = 3
    assert len(drawn) == 1
    vis.kernel_size.value = 4   # moves the step slider back to 0 without a second redraw
    assert len(drawn) == 2, f"moving the kernel size drew {len(drawn) - 1} figures"
    assert (vis.step.value, vis.step.max) == (0, 24)
    assert vis.status.value == "padding (left, right) per dimension: ((1, 2), (1, 2)); output size (5, 5)"


def test_visualizer_renders_without_display():
    vis = widgets.padding_visualizer()
    vis.input_size.value = 12  # big enough that every kernel below fits, even unpadded
    for dims in ("1-D", "2-D"):
        vis.dims.value = dims
        for mode in conv.MODES:
            vis.mode.value = mode
            for k in (1, 2, 4):
                vis.kernel_size.value = k
                vis.stride.value = 2
                vis.dilation.value = 2
                assert vis.redraw() is not None
                assert f"output size {conv.output_size(**vis.config())}" in vis.status.value
    vis.input_size.value, vis.kernel_size.value, vis.mode.value = 2, 6, "valid"
    assert vis.redraw() is None and "more than the padded input" in vis.status.value
    plt.close("all")
