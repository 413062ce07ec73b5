"""optimizer_trace: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam, step by step.

The rules are those of the slides (``hwcheck.optim``), with ``α`` the learning
rate and ``g`` the gradient, vectors elementwise:

* sgd: x ← x − α g
* momentum, gradient form (the default, torch's ``SGD(momentum=ρ)``):
  v ← ρ v + g, x ← x − α v; velocity form: v ← ρ v − α g, x ← x + v. Both give
  the same iterates: the velocity form's v is −α times the gradient form's.
* nesterov: the gradient is taken at the look-ahead point x + ρ v (velocity
  form); with x̃ = x + ρ v the same rule reads x̃ ← x̃ − ρ v_t + (1 + ρ) v_{t+1}
  with the gradient at x̃ itself (the slides' change of variables).
* adagrad: grad_squared ← grad_squared + g², x ← x − α g / (√grad_squared + ε)
* rmsprop: grad_squared ← d·grad_squared + (1 − d) g², the same step
* adam: first_moment ← β₁ m + (1 − β₁) g, second_moment ← β₂ s + (1 − β₂) g²;
  with bias correction (t from 1) first_unbias = m / (1 − β₁ᵗ),
  second_unbias = s / (1 − β₂ᵗ); x ← x − α m̂ / (√ŝ + ε)

The gradient comes from ``f`` (differentiated once) or is given per step
(``gradients``, for drills on the rule alone). Values stay exact while
readable, then 50 digits; long runs show the first and last steps in full.

Optional given ``compare``: a list of runs, each ``{optimizer, learning_rate,
rho, momentum_form, decay_rate, beta1, beta2, eps, bias_correction, label}``
(any key left out is taken from the main run), tabulated and drawn side by side.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: optimizer_trace
... given: {optimizer: momentum, f: "x**2", start: {x: 1}, learning_rate: 0.1, rho: 0.5, steps: 2}
... parts: [iterates, state]
... ''')
>>> answers = solve(p.given).answers
>>> answers["iterates"], answers["state"]
([[1], [4/5], [27/50]], [{'velocity': [2]}, {'velocity': [13/5]}])
"""

from __future__ import annotations

import sympy as sp

from hwcheck import limits
from hwcheck import optim
from hwcheck.errors import Invalid
from hwcheck.interval import is_zero
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Bool, Choice, Expression, Int, ListOf, MapOf, Number, Record, Text, Vector

TITLE = "Optimizer traces: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam"

MAX_STEPS = 10_000

_HYPER = {
    "rho": Number(doc="momentum ρ (friction)", default="0.9", nonnegative=True),
    "momentum_form": Choice(doc="momentum written as v = ρv + g, x −= αv (gradient) or v = ρv − αg, x += v "
                                "(velocity)", options=optim.FORMS, default="gradient"),
    "decay_rate": Number(doc="RMSProp decay rate", default="0.99", nonnegative=True),
    "beta1": Number(doc="Adam β₁", default="0.9", nonnegative=True),
    "beta2": Number(doc="Adam β₂", default="0.999", nonnegative=True),
    "eps": Number(doc="ε in α·g/(√s + ε)", default="1e-7", positive=True),
    "bias_correction": Bool(doc="Adam's bias correction", default=True),
}

GIVEN = {
    "optimizer": Choice(doc="the update rule", options=optim.OPTIMIZERS),
    "f": Expression(doc="the function to minimise (or give gradients)", default=None),
    "gradients": ListOf(doc="one gradient per step, for drills on the rule (instead of f)",
                        item=Vector(), default=None),
    "start": MapOf(doc="the starting point, variable: value (its order is the order of coordinates)",
                   value=Number()),
    "learning_rate": Number(doc="the learning rate α", positive=True),
    "steps": Int(doc="number of updates", min=1, max=MAX_STEPS),
    **_HYPER,
    "compare": ListOf(doc="optional extra runs, each overriding optimizer, learning_rate or a hyperparameter "
                          "(and a label)", default=None,
                      item=Record(fields={
                          "optimizer": Choice(options=optim.OPTIMIZERS, default=None),
                          "learning_rate": Number(positive=True, default=None),
                          **{k: type(s)(**{**s.__dict__, "default": None}) for k, s in _HYPER.items()},
                          "label": Text(default=None),
                      })),
}

PARTS = {
    "iterates": Part("x_0 ... x_T: steps + 1 points, the start included, each a list", default=True),
    "final": Part("the last point x_T, a list"),
    "state": Part("one map per step: the optimizer's state after it (velocity, grad_squared, first_moment, "
                  "second_moment, and for Adam with bias correction first_unbias, second_unbias)"),
    "gradients": Part("the gradient used at each step (for Nesterov at the look-ahead point)"),
    "uncorrected": Part("Adam only: the iterates x_0 ... x_T of the same run without bias correction "
                        "(the slides' \"almost Adam\"), to compare with the corrected run"),
}

_UNIT = ("rho", "decay_rate", "beta1", "beta2")  # must lie in [0, 1)


def check(given, parts) -> None:
    runs = 1 + len(given.compare or ())
    limits.check_count(given.steps * runs, limits.MAX_UPDATES, "steps × runs (1 + compare)", "steps")
    if (given.f is None) == (given.gradients is None):
        raise Invalid("either f (to differentiate) or gradients (one per step)",
                      "both" if given.f is not None else "neither", key="f")
    if given.f is not None:
        names = {str(s) for s in given.f.free_symbols}
        missing = sorted(names - set(given.start))
        if missing:
            raise Invalid(f"a start value for every variable of f ({', '.join(sorted(names))})",
                          f"no value for {', '.join(missing)}", key="start")
    else:
        if len(given.gradients) != given.steps:
            raise Invalid(f"one gradient per step ({given.steps})", f"{len(given.gradients)} gradient(s)",
                          key="gradients")
        for i, g in enumerate(given.gradients):
            if len(g) != len(given.start):
                raise Invalid(f"gradients with {len(given.start)} entries, one per coordinate of start",
                              f"{len(g)} entries", key=f"gradients[{i}]")
    if "uncorrected" in parts and given.optimizer != "adam":
        raise Invalid("the part uncorrected only with optimizer adam", f"optimizer {given.optimizer}",
                      key="parts.uncorrected")
    _check_unit(given, "")
    for i, entry in enumerate(given.compare or ()):
        _check_unit(entry, f"compare[{i}].")


def _check_unit(values, prefix) -> None:
    for key in _UNIT:
        v = values[key]
        if v is not None and not (0 <= v < 1):
            raise Invalid("a number in [0, 1)", f"{v}", key=f"{prefix}{key}")


def _objective(given):
    return optim.objective(given.f, tuple(given.start)) if given.f is not None else None


def _trace(given, optimizer=None, objective=None, **override) -> optim.Trace:
    settings = optim.settings_from(given, **override)
    return optim.run(optimizer or given.optimizer, list(given.start.values()), settings, given.steps,
                     objective=objective if objective is not None else _objective(given),
                     gradients=given.gradients)


def _show(trace, f_values=None) -> dict:
    """Which answers the number policy shows exactly (``optim.shown_exact``), and the same for the
    values the steps show beside them (look-ahead points, divisors)."""
    infos = [trace.detail(t) for t in range(1, len(trace.gradients) + 1)]
    return {"x": optim.shown_exact(trace.iterates), "g": optim.shown_exact(trace.gradients),
            "s": optim.shown_exact(trace.states), "f": f_values is None or optim.shown_exact(f_values),
            "la": optim.shown_exact([i.get("lookahead") for i in infos]),
            "d": optim.shown_exact([i.get("denominator") for i in infos])}


def solve(given) -> Solution:
    objective = _objective(given)
    trace = _trace(given, objective=objective)
    opt, T = given.optimizer, given.steps
    names = list(given.start)
    settings = optim.settings_from(given)
    f_values = objective.values(trace.iterates) if objective is not None else None
    show = _show(trace, f_values)
    steps = [Step("rule", {"optimizer": opt, "form": given.momentum_form, "alpha": given.learning_rate,
                           "rho": given.rho, "decay_rate": given.decay_rate, "beta1": given.beta1,
                           "beta2": given.beta2, "eps": given.eps, "bias_correction": given.bias_correction})]
    if objective is not None:
        steps.append(Step("gradient", {"f": given.f, "names": names, "partials": list(objective.gradient),
                                       "start": trace.iterates[0], "show": show}))
    else:
        steps.append(Step("drill", {"gradients": [list(g) for g in given.gradients], "start": trace.iterates[0],
                                    "steps": T, "show": show}))
    rows = [None if t is None else _row(trace, t, settings) for t in optim.window(T)]
    table = [None if t is None else {"t": t, "x": trace.iterates[t], "f": f_values[t] if f_values else None}
             for t in [0] + optim.window(T, optim.TABLE_HEAD, optim.TABLE_TAIL)]
    steps.append(Step("iterations", {"optimizer": opt, "form": given.momentum_form, "rows": rows, "table": table,
                                     "steps": T, "names": names, "exact_steps": trace.exact_steps,
                                     "bias_correction": given.bias_correction, "alpha": given.learning_rate,
                                     "rho": given.rho, "decay_rate": given.decay_rate, "beta1": given.beta1,
                                     "beta2": given.beta2, "eps": given.eps, "has_f": objective is not None,
                                     "show": show}))
    if opt in ("momentum", "nesterov"):
        equivalence = _equivalence(given, trace, objective)
        if opt == "nesterov":
            # the look-ahead points are the x̃ of the change of variables: one way of printing both
            show["la"] = equivalence["show"]["tilde"] = show["la"] and equivalence["show"]["tilde"]
        steps.append(Step("equivalence", equivalence))
    uncorrected = None
    if opt == "adam":
        # the statement's "what without bias correction?": the same run, the moments used raw
        uncorrected = _trace(given, objective=objective, bias_correction=False) if given.bias_correction else trace
        if given.bias_correction:
            steps.append(Step("uncorrected", _uncorrected(given, trace, uncorrected)))
    behaviour = None
    if objective is not None:
        behaviour = optim.judge(trace.iterates, trace.gradients, f_values,
                                objective.gradient_at(trace.iterates[-1]), names=names)
    steps.append(Step("summary", {"final": trace.iterates[-1], "f_values": f_values, "b": behaviour,
                                  "steps": T, "optimizer": opt, "show": show}))
    if objective is not None:
        stationary = optim.stationary(objective, trace.iterates, behaviour)
        if stationary is not None:
            steps.append(Step("stationary", {**stationary, "show": show, "optimizer": opt}))
    if given.compare:
        steps.append(Step("comparison", {"runs": _comparison(given, objective, trace, f_values, behaviour)}))
    answers = {"iterates": trace.iterates, "final": trace.iterates[-1], "state": trace.states,
               "gradients": trace.gradients,
               "uncorrected": uncorrected.iterates if uncorrected is not None else None}
    return Solution(steps, answers)


def _uncorrected(given, trace, other) -> dict:
    """The same Adam run without bias correction: its first update worked, and both runs' points."""
    first = other.states[0]
    show = {"x": optim.shown_exact(other.iterates) and optim.shown_exact(trace.iterates),
            "s": optim.shown_exact(trace.states), "d": optim.shown_exact(other.detail(1)["denominator"])}
    step = [b - a for a, b in zip(other.iterates[0], other.iterates[1])]
    step_corrected = [b - a for a, b in zip(trace.iterates[0], trace.iterates[1])]
    return {"x0": other.iterates[0], "m": first["first_moment"], "s": first["second_moment"],
            "denominator": other.detail(1)["denominator"], "x1": other.iterates[1], "step": step,
            "x1_corrected": trace.iterates[1], "step_corrected": step_corrected,
            "alpha": given.learning_rate, "beta1": given.beta1, "beta2": given.beta2, "steps": given.steps,
            "final": other.iterates[-1], "final_corrected": trace.iterates[-1], "show": show}


def _row(trace, t, settings) -> dict:
    prev = trace.states[t - 2] if t > 1 else {k: [sp.Integer(0)] * len(trace.iterates[0])
                                              for k in trace.states[0]}
    detail = trace.detail(t)
    return {"t": t, "x": trace.iterates[t - 1], "g": trace.gradients[t - 1], "x_new": trace.iterates[t],
            "prev": prev, "state": trace.states[t - 1], "lookahead": detail.get("lookahead"),
            "denominator": detail.get("denominator"),
            "c1": 1 - settings.beta1**t, "c2": 1 - settings.beta2**t}


def _equivalence(given, trace, objective) -> dict:
    """Run the other momentum form: the same iterates, with v_velocity = −α v_gradient."""
    other_form = "velocity" if given.momentum_form == "gradient" else "gradient"
    other = _trace(given, objective=objective, momentum_form=other_form)
    alpha = given.learning_rate
    same = all(_close(a, b) for p, q in zip(trace.iterates, other.iterates) for a, b in zip(p, q))
    grad_v, vel_v = (trace, other) if given.momentum_form == "gradient" else (other, trace)
    shown = [t for t in optim.window(given.steps) if t is not None]
    velocity = [s["velocity"] for s in vel_v.states]
    data = {"form": given.momentum_form, "alpha": alpha, "rho": given.rho, "same": same,
            "rows": [{"t": t, "v_grad": grad_v.states[t - 1]["velocity"], "v_vel": velocity[t - 1]}
                     for t in shown],
            "nesterov": given.optimizer == "nesterov", "tilde": None,
            "show": {"grad": optim.shown_exact([s["velocity"] for s in grad_v.states]),
                     "vel": optim.shown_exact(velocity), "x": optim.shown_exact(trace.iterates)}}
    if given.optimizer == "nesterov":
        # x̃_t = x_t + ρ v_t (velocity units); x̃ ← x̃ − ρ v_t + (1 + ρ) v_{t+1}, gradient at x̃
        rho = given.rho
        zero = [sp.Integer(0)] * len(trace.iterates[0])
        vs = [zero] + velocity
        tilde = [[xi + rho * vi for xi, vi in zip(x, v)] for x, v in zip(trace.iterates, vs)]
        data["tilde"] = [{"t": t, "x": trace.iterates[t], "v": vs[t], "tilde": tilde[t],
                          "v_prev": vs[t - 1], "tilde_prev": tilde[t - 1]} for t in shown]
        data["show"]["tilde"] = optim.shown_exact(tilde)
    return data


def _close(a, b) -> bool:
    if isinstance(a, sp.Float) or isinstance(b, sp.Float):
        return abs(float(sp.N(a - b, 30))) <= 1e-30 * max(1.0, abs(float(a)))
    return is_zero(a - b) if not (a.is_Rational and b.is_Rational) else a == b


def _comparison(given, objective, trace, f_values, behaviour) -> list[dict]:
    names = list(given.start)
    runs = [{"label": None, "optimizer": given.optimizer, "alpha": given.learning_rate,
             "iterates": trace.iterates, "f_values": f_values, "b": behaviour,
             "status": behaviour.status if behaviour else None, "main": True,
             "show": {"x": optim.shown_exact(trace.iterates),
                      "f": f_values is None or optim.shown_exact(f_values)}}]
    for entry in given.compare:
        override = {k: entry[k] for k in ("learning_rate", *_HYPER) if entry[k] is not None}
        other = _trace(given, optimizer=entry.optimizer, objective=objective, **override)
        values = objective.values(other.iterates) if objective is not None else None
        b = None
        if objective is not None:
            b = optim.judge(other.iterates, other.gradients, values, objective.gradient_at(other.iterates[-1]),
                            names=names)
        runs.append({"label": entry.label, "optimizer": entry.optimizer or given.optimizer,
                     "alpha": entry.learning_rate or given.learning_rate, "iterates": other.iterates,
                     "f_values": values, "b": b, "status": b.status if b else None, "main": False,
                     "show": {"x": optim.shown_exact(other.iterates),
                              "f": values is None or optim.shown_exact(values)}})
    return runs


def figures(given, solution):
    """The path (2-D, on f's contours when f is given), f against the step, and runs side by side."""
    from hwcheck.kinds._trace import trace_figures

    return trace_figures(given.f, list(given.start), _figure_runs(given, solution))


def _figure_runs(given, solution) -> list[dict]:
    summary = next(s for s in solution.steps if s.macro == "summary")
    runs = [{"optimizer": given.optimizer, "alpha": given.learning_rate, "label": None,
             "iterates": solution.answers["iterates"], "f_values": summary.data["f_values"]}]
    for step in solution.steps:
        if step.macro == "comparison":
            runs = step.data["runs"]
    return [{"label": r["label"] or f"{r['optimizer']}, $\\alpha = {sp.latex(r['alpha'])}$",
             "iterates": r["iterates"], "values": r["f_values"]} for r in runs]


def _no_bias_correction(given) -> dict:
    """Adam without the bias correction (the slides' "almost Adam")."""
    if given.optimizer != "adam" or not given.bias_correction:
        return {}
    trace = _trace(given, bias_correction=False)
    return {"iterates": trace.iterates, "final": trace.iterates[-1]}


def _gradient_ascent(given) -> dict:
    """The update with the sign flipped (a step up the gradient)."""
    settings = optim.with_sign(optim.settings_from(given), -1)
    trace = optim.run(given.optimizer, list(given.start.values()), settings, given.steps,
                      objective=_objective(given), gradients=given.gradients)
    return {"iterates": trace.iterates, "final": trace.iterates[-1]}


def _bias_correction_applied(given) -> dict:
    """Adam with the bias correction although the problem turns it off (on/off swapped)."""
    if given.optimizer != "adam" or given.bias_correction:
        return {}
    trace = _trace(given, bias_correction=True)
    return {"iterates": trace.iterates, "final": trace.iterates[-1]}


def _rmsprop_no_decay(given) -> dict:
    """RMSProp without its decay: s = g² (decay 0), or s += g² (the running sum: AdaGrad)."""
    from hwcheck.model import Candidates

    if given.optimizer != "rmsprop":
        return {}
    runs = [_trace(given, decay_rate=sp.Integer(0)), _trace(given, optimizer="adagrad")]
    return {"iterates": Candidates(r.iterates for r in runs), "final": Candidates(r.iterates[-1] for r in runs)}


# The worked steps shown (once) when a part is wrong.
PART_STEPS = {"iterates": ("rule", "iterations"), "final": ("rule", "iterations"), "state": ("rule", "iterations"),
              "gradients": ("gradient", "drill", "iterations")}

# Entries the statement gives (the start point): they earn no credit when graded.
GIVEN_ENTRIES = {"iterates": ("[0]",)}

MISCONCEPTIONS = {
    "no_bias_correction": _no_bias_correction,
    "gradient_ascent": _gradient_ascent,
    "bias_correction_applied": _bias_correction_applied,
    "rmsprop_no_decay": _rmsprop_no_decay,
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a run that diverges where the instructor's converges, or the reverse."""
    from hwcheck import variants

    return variants.same_behaviour(variants.diverging(solution.answers["iterates"]),
                                   variants.diverging(reference.answers["iterates"]), "diverges")
