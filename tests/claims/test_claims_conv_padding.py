"""Claims CV1-CV6 of the convolution-padding chapter, at the `ci` preset.

Each test runs the rule the chapter publishes (``lecturelib.claims.conv_padding``) on the
rule's own measurement for ``claims.claim_seed()`` (default 0, the book's seed; graders set
``LECTURELIB_CLAIM_SEED``) and expects the outcome the rule declares for ci. CV1, CV2, CV5
and CV6 compare lecturelib's arithmetic with what torch's convolutions return; CV3 perturbs
random inputs of the chapter's causal stack; CV4 draws random configurations.
"""

from lecturelib import claims
from lecturelib.claims import conv_padding as rules


def _check(claim, function):
    rule = claims.get(claim)
    verdict = function(rule.measure(claims.claim_seed()))
    assert verdict.outcome == rule.expected_ci, verdict.text
    return verdict


def test_claim_cv1_valid_shrinks_by_dilated_kernel_span():
    _check("CV1", rules.cv1)


def test_claim_cv2_same_keeps_size_with_asymmetric_padding():
    _check("CV2", rules.cv2)


def test_claim_cv3_causal_no_leak():
    _check("CV3", rules.cv3)


def test_claim_cv4_formula_agrees_with_torch():
    _check("CV4", rules.cv4)


def test_claim_cv5_full_grows_and_transposed_conv_undoes_valid():
    _check("CV5", rules.cv5)


def test_claim_cv6_padding_modes_differ_only_at_the_border():
    _check("CV6", rules.cv6)
