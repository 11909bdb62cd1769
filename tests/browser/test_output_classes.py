"""Which cell outputs count as errors (no browser needed)."""
from . import helpers


def out(cls, text):
    return {"cls": f"output {cls} highlight-myst-ansi notranslate", "text": text}


def test_tracebacks_and_error_outputs_count():
    outputs = [
        out("traceback", "ValueError                Traceback (most recent call last)\n..."),
        out("stderr", "Traceback (most recent call last):\n  File ...\nKeyError: 'x'"),
        out("stderr", "RuntimeError: CUDA out of memory"),
        out("stderr", "Exception ignored in: <function ...>"),
        out("stream", "Traceback (most recent call last):\n  File ..."),
    ]
    assert len(helpers.error_outputs(outputs)) == 5


def test_warnings_progress_and_printed_text_do_not():
    outputs = [
        out("stderr", "/x/site-packages/torch/nn/init.py:12: UserWarning: something is deprecated\n  warnings.warn("),
        out("stderr", "100%|##########| 10/10 [00:01<00:00,  9.8it/s]"),
        out("stream", "lecturelib: ValueError: padding must be ... (the chapter prints the error it demonstrates)"),
        out("text_plain", "KeyError: shown as a value"),
    ]
    assert helpers.error_outputs(outputs) == []
    assert len(helpers.stderr_warnings(outputs)) == 2
