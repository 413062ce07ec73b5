"""The optim package: every name still importable, loaded on use; and tidy, which gives the same forms as
SymPy's radsimp left alone (it only skips a search whose answer radsimp would not use)."""

import importlib
import random

import pytest
import sympy as sp

from hwcheck.optim import numbers


def _radsimp_as_is(v):
    v = sp.sympify(v)
    if v.is_Rational or v.has(sp.Function) or v.has(sp.E):
        return v
    return sp.radsimp(sp.expand(v))


def _adam_like(rng):
    """α m / (√s + ε) and x − α m / (√s + ε) with random rationals, as an Adam step makes them."""
    s = sp.Rational(rng.randint(1, 10**6), rng.choice([1, 7, 1000, 1999, 10**6, 999000]))
    m = sp.Rational(rng.randint(-10**4, 10**4), rng.choice([1, 10, 19, 100, 271]))
    eps = rng.choice([sp.Rational(1, 10**7), sp.Rational(1, 10**8), sp.Rational(3, 100), 0])
    alpha = sp.Rational(rng.randint(1, 9), rng.choice([10, 100]))
    step = alpha * m / (sp.sqrt(s) + eps)
    return [step, rng.choice([0, 1, sp.Rational(-3, 7)]) - step, sp.sqrt(s) + eps]


@pytest.mark.parametrize("seed", range(6))
def test_same_forms_as_radsimp(seed):
    rng = random.Random(seed)
    for _ in range(12):
        for v in _adam_like(rng):
            assert sp.srepr(numbers.tidy(v)) == sp.srepr(_radsimp_as_is(v)), v


def test_the_search_is_skipped_only_for_one_surd():
    x = sp.Symbol("x")
    assert numbers._one_surd(sp.Rational(1, 3) + 2 * sp.sqrt(5))
    assert numbers._one_surd(sp.sqrt(7) - 1)
    assert not numbers._one_surd(sp.sqrt(2) + sp.sqrt(3))  # two surds: left to the search
    assert not numbers._one_surd(1 + sp.sqrt(2) * sp.I)
    assert not numbers._one_surd(x + sp.sqrt(2))
    assert not numbers._one_surd(sp.Rational(5, 2))
    # outside tidy, nsimplify is SymPy's own again
    import importlib
    assert importlib.import_module("sympy.simplify.simplify").nsimplify is sp.nsimplify


def test_every_name_of_the_package_is_what_its_module_defines():
    """``from hwcheck.optim import X`` keeps working after the split, and no submodule shadows a
    function of the same name (each name resolves to the object, never to a module)."""
    import types

    from hwcheck import optim

    for name in optim.__all__:
        value = getattr(optim, name)
        assert not isinstance(value, types.ModuleType), name
        assert value is getattr(importlib.import_module(f"hwcheck.optim.{optim._MODULE_OF[name]}"), name)


def test_reading_a_trace_does_not_load_the_driver():
    import subprocess
    import sys

    code = ("import sys; from hwcheck import optim; optim.shown_exact([1]); optim.monotone_decrease([2, 1]); "
            "print(sorted(m for m in sys.modules if m.startswith('hwcheck.optim.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "hwcheck.optim.driver" not in out and "hwcheck.optim.show" in out, out
