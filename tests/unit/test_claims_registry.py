"""The claims registry, Verdicts, the seed sweep's parsing and the glance table."""
import pytest

from lecturelib import claims
from lecturelib.claims import CAVEAT, FAILS, HOLDS, Verdict
from lecturelib.claims.__main__ import format_row, parse_seeds, sweep
from lecturelib.report import glue, show_source, source
from lecturelib.train import fit


def test_verdict_checks_its_fields_and_renders():
    v = Verdict("BS1", HOLDS, "Batch 64 ends 20 points ahead.", {"gap": 0.2}, 0.2)
    assert v._repr_markdown_() == "**BS1: holds.** Batch 64 ends 20 points ahead."
    assert str(v) == "BS1: holds. Batch 64 ends 20 points ahead."
    with pytest.raises(ValueError, match="outcome must be one of"):
        Verdict("BS1", "mostly", "x")
    with pytest.raises(TypeError, match="numbers must be a dict"):
        Verdict("BS1", HOLDS, "x", [1])


def test_rule_registers_and_rejects_a_second_rule(monkeypatch):
    monkeypatch.setattr(claims, "REGISTRY", {})

    @claims.rule("ZZ1", chapter="tuning", paraphrase="p", test="test_claim_zz1", threshold=0.5,
                 measure=lambda seed: seed / 10, margin="seed/10")
    def zz1(x):
        return Verdict("ZZ1", HOLDS if x > 0.5 else FAILS, f"x = {x}", {"x": x}, x - 0.5)

    assert claims.REGISTRY["ZZ1"].function is zz1
    with pytest.raises(ValueError, match="already has a rule"):
        claims.rule("ZZ1", chapter="tuning", paraphrase="p", test="t")(lambda x: None)
    with pytest.raises(ValueError, match="chapter must be one of"):
        claims.rule("ZZ2", chapter="nowhere", paraphrase="p", test="t")
    rows = sweep([claims.REGISTRY["ZZ1"]], [2, 7, 9], log=lambda *a, **k: None)
    assert rows[0]["outcomes"] == {FAILS: 1, HOLDS: 2}
    assert rows[0]["min"] == pytest.approx(-0.3) and rows[0]["max"] == pytest.approx(0.4)
    assert "MISS" in format_row(rows[0], 3)


def test_parse_seeds():
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("0,4,7-8") == [0, 4, 7, 8]
    with pytest.raises(ValueError, match="seeds"):
        parse_seeds("a-b")
    with pytest.raises(ValueError, match="seeds"):
        parse_seeds("5-2")


def test_claim_seed_from_the_environment(monkeypatch):
    monkeypatch.delenv(claims.SEED_ENV, raising=False)
    assert claims.claim_seed() == 0
    monkeypatch.setenv(claims.SEED_ENV, "7")
    assert claims.claim_seed() == 7
    monkeypatch.setenv(claims.SEED_ENV, "-1")
    with pytest.raises(ValueError, match="LECTURELIB_CLAIM_SEED"):
        claims.claim_seed()


def test_glance_table_lists_registered_and_text_claims(monkeypatch):
    monkeypatch.setattr(claims, "REGISTRY", {})
    monkeypatch.setattr(claims, "TEXT_ONLY", {})
    monkeypatch.setattr(claims, "load_all", lambda: claims.REGISTRY)
    claims.rule("BS10", chapter="batch_dynamics", paraphrase="Adam travels far.", test="test_claim_bs10")(lambda r: r)
    claims.rule("BS2", chapter="batch_size", paraphrase="A larger lr recovers.", test="test_claim_bs2")(lambda r: r)
    claims.text_claim("HP1", chapter="tuning", paraphrase="What a hyperparameter is.")
    rows = claims.glance_markdown().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == ["BS2 <claim-bs2>", "BS10 <claim-bs10>", "HP1 <claim-hp1>"]
    assert "{glue:text}`batch_size.ipynb::verdict-bs2:s`" in rows[0] and "`test_claim_bs2`" in rows[0]
    assert "discussed in the text" in rows[2]


def test_publish_returns_the_verdict_outside_a_kernel():
    v = Verdict("BS1", CAVEAT, "x")
    assert claims.publish(v) is v
    with pytest.raises(TypeError, match="verdict must be"):
        claims.publish("holds")


def test_glue_checks_the_key():
    glue("fine-key", 0.5)          # outside a kernel: nothing to record, no error
    with pytest.raises(ValueError, match="without spaces"):
        glue("two words", 1)
    with pytest.raises(TypeError, match="name must be a glue key"):
        glue(3, 1)


def test_source_shows_the_real_code_and_slices_it():
    whole = source(fit)
    assert whole.startswith("@_no_removed_arguments\ndef fit(")   # the decorator that names fit's former arguments
    loop = source(fit, start="for xb, yb in batches", end="opt.step()")
    assert loop.splitlines()[0].startswith("for xb, yb in batches") and loop.splitlines()[-1].strip() == "opt.step()"
    assert "```python" in show_source(fit, start="for xb, yb", end="opt.step()").data
    with pytest.raises(ValueError, match="does not occur"):
        source(fit, start="no such line")
    with pytest.raises(ValueError, match="must come from lecturelib"):
        source(pytest.approx)
    with pytest.raises(TypeError, match="function, class or method"):
        source(3)
