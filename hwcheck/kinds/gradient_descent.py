"""gradient_descent: b = a − γ∇f(a), step by step, and what the learning rate does.

The gradient ∇f is differentiated once, symbolically; each step evaluates it at
the current point ``a`` and moves to ``b = a − γ∇f(a)``; f is evaluated at every
point. Values stay exact while readable (``hwcheck.optim``), then 50 digits.

For a quadratic f the Hessian H is constant, the error obeys
``e_{t+1} = (I − γH) e_t``, and with ``L`` the largest eigenvalue of H the
descent converges for ``γ < 2/L`` (μ > 0), oscillates for ``γ = 2/L`` and
diverges for ``γ > 2/L``; L is computed exactly and said. For any f the run is
judged from its numbers: diverged (‖x‖ or |f| grows), converged (∇f ≈ 0),
stalled (tiny steps: γ too small, or a flat region) or still going.

Optional given ``compare``: a list of ``{learning_rate, label}`` runs drawn and
tabulated beside the main one (several learning rates side by side).

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: gradient_descent
... given: {f: "x**2", start: {x: 1}, learning_rate: 0.25, steps: 3}
... ''')
>>> answers = solve(p.given).answers
>>> answers["iterates"], answers["f_values"][-1]
([[1], [1/2], [1/4], [1/8]], 1/64)
"""

from __future__ import annotations

import sympy as sp

from hwcheck import limits
from hwcheck import optim
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Expression, Int, ListOf, MapOf, Number, Record, Text

TITLE = "Gradient descent step by step: b = a − γ∇f(a)"

MAX_STEPS = 10_000

GIVEN = {
    "f": Expression(doc="the function to minimise"),
    "start": MapOf(doc="the starting point, variable: value (its order is the order of coordinates)",
                   value=Number()),
    "learning_rate": Number(doc="the step size γ", positive=True),
    "steps": Int(doc="number of updates", min=1, max=MAX_STEPS),
    "compare": ListOf(doc="optional extra runs drawn and tabulated beside this one: [{learning_rate, label}]",
                      default=None, item=Record(fields={
                          "learning_rate": Number(positive=True),
                          "label": Text(default=None),
                      })),
}

PARTS = {
    "iterates": Part("x_0 ... x_T: steps + 1 points, the start included, each a list", default=True),
    "gradients": Part("∇f(x_t) for t = 0 ... T−1, one per step"),
    "f_values": Part("f(x_t) for t = 0 ... T"),
    "final": Part("the last point x_T, a list"),
}


def check(given, parts) -> None:
    runs = 1 + len(given.compare or ())
    limits.check_count(given.steps * runs, limits.MAX_UPDATES, "steps × runs (1 + compare)", "steps")
    names = {str(s) for s in given.f.free_symbols}
    missing = sorted(names - set(given.start))
    if missing:
        raise Invalid(f"a start value for every variable of f ({', '.join(sorted(names))})",
                      f"no value for {', '.join(missing)}", key="start")


def _objective(given) -> optim.Objective:
    return optim.objective(given.f, tuple(given.start))


def _run(given, learning_rate, sign=1):
    settings = optim.Settings(learning_rate=learning_rate, sign=sign)
    objective = _objective(given)
    trace = optim.run("sgd", list(given.start.values()), settings, given.steps, objective=objective)
    return objective, trace


shown_exact = optim.shown_exact


def solve(given) -> Solution:
    objective, trace = _run(given, given.learning_rate)
    names = objective.names
    f_values = objective.values(trace.iterates)
    T = given.steps
    show = {"x": shown_exact(trace.iterates), "g": shown_exact(trace.gradients), "f": shown_exact(f_values)}
    steps = [Step("gradient", {"f": given.f, "names": names, "partials": list(objective.gradient),
                               "start": trace.iterates[0], "f0": f_values[0], "gamma": given.learning_rate,
                               "show": show})]
    analysis = optim.quadratic(objective, given.learning_rate)
    rates = None
    if analysis is not None:
        # every learning rate of the problem, each with its factor 1 − γλ per eigen-direction
        gammas = [given.learning_rate] + [e.learning_rate for e in (given.compare or ())]
        rates = [{"gamma": g, "main": k == 0, "directions": optim.directions(analysis["eigenvalues"], g),
                  "regime": optim.quadratic(objective, g)["regime"]}
                 for k, g in enumerate(dict.fromkeys(gammas))]
        steps.append(Step("quadratic", {"names": names, **analysis, "rates": rates}))
    shown = optim.window(T)
    rows = [None if t is None else {"t": t, "a": trace.iterates[t - 1], "g": trace.gradients[t - 1],
                                    "b": trace.iterates[t], "fb": f_values[t]}
            for t in shown]
    table = [None if t is None else {"t": t, "x": trace.iterates[t], "f": f_values[t]}
             for t in [0] + optim.window(T, optim.TABLE_HEAD, optim.TABLE_TAIL)]
    steps.append(Step("iterations", {"rows": rows, "table": table, "steps": T, "names": names,
                                     "gamma": given.learning_rate, "exact_steps": trace.exact_steps,
                                     "show": show}))
    final_gradient = objective.gradient_at(trace.iterates[-1])
    behaviour = optim.judge(trace.iterates, trace.gradients, f_values, final_gradient, names=names)
    steps.append(Step("behaviour", {"b": behaviour, "final": trace.iterates[-1], "f_final": f_values[-1],
                                    "f_start": f_values[0], "final_gradient": final_gradient, "steps": T,
                                    "gamma": given.learning_rate, "quadratic": analysis, "names": names,
                                    "show": show}))
    stationary = _stationary(objective, trace, behaviour, analysis)
    if stationary is not None:
        steps.append(Step("stationary", {**stationary, "show": show}))
    if given.compare:
        runs = _comparison(given, objective, trace, f_values, behaviour)
        steps.append(Step("comparison", {"runs": runs, "mirrors": _mirrors(runs, rates, T), "steps": T,
                                         "names": names, "minimiser": analysis["minimiser"] if analysis else None,
                                         "show": show}))
    answers = {"iterates": trace.iterates, "gradients": trace.gradients, "f_values": f_values,
               "final": trace.iterates[-1]}
    return Solution(steps, answers)


def _stationary(objective, trace, behaviour, analysis) -> dict | None:
    return optim.stationary(objective, trace.iterates, behaviour, hessian=analysis is None)


def _mirrors(runs, rates, T) -> list[dict]:
    """Pairs of learning rates whose factors 1 − γλ are opposite (the same |error| at every step)."""
    if not rates:
        return []
    by_gamma = {r["gamma"]: [d["factor"] for d in r["directions"]] for r in rates}
    out, seen = [], set()
    for a in by_gamma:
        for b in by_gamma:
            if a != b and (b, a) not in seen and optim.mirrored(by_gamma[a], by_gamma[b]):
                seen.add((a, b))
                out.append({"a": a, "b": b, "qa": by_gamma[a], "qb": by_gamma[b], "even": T % 2 == 0})
    return out


def _comparison(given, objective, trace, f_values, behaviour) -> list[dict]:
    names = objective.names
    runs = [{"label": None, "gamma": given.learning_rate, "iterates": trace.iterates, "f_values": f_values,
             "status": behaviour.status, "b": behaviour, "main": True,
             "show": {"x": shown_exact(trace.iterates), "f": shown_exact(f_values)}}]
    for entry in given.compare:
        _, other = _run(given, entry.learning_rate)
        values = objective.values(other.iterates)
        final_gradient = objective.gradient_at(other.iterates[-1])
        b = optim.judge(other.iterates, other.gradients, values, final_gradient, names=names)
        runs.append({"label": entry.label, "gamma": entry.learning_rate, "iterates": other.iterates,
                     "f_values": values, "status": b.status, "b": b, "main": False,
                     "show": {"x": shown_exact(other.iterates), "f": shown_exact(values)}})
    return runs


def figures(given, solution):
    """The path on f (contours in 2-D, the graph in 1-D) and f against the step number."""
    from hwcheck.kinds._trace import trace_figures

    return trace_figures(given.f, list(given.start), _runs_for_figures(given, solution))


def _runs_for_figures(given, solution) -> list[dict]:
    for step in solution.steps:
        if step.macro == "comparison":
            return [{"label": fig_label(r), "iterates": r["iterates"], "values": r["f_values"]}
                    for r in step.data["runs"]]
    return [{"label": fig_label({"gamma": given.learning_rate, "label": None}),
             "iterates": solution.answers["iterates"], "values": solution.answers["f_values"]}]


def fig_label(run) -> str:
    return run["label"] or f"$\\gamma = {sp.latex(run['gamma'])}$"


def _ascent(given):
    """The update with the sign flipped: b = a + γ∇f(a)."""
    objective = _objective(given)
    trace = optim.run("sgd", list(given.start.values()),
                      optim.Settings(learning_rate=given.learning_rate, sign=-1), given.steps, objective=objective)
    return {"iterates": trace.iterates, "final": trace.iterates[-1], "f_values": objective.values(trace.iterates)}


# The worked steps shown (once) when a part is wrong.
PART_STEPS = {"iterates": ("iterations",), "final": ("iterations",), "gradients": ("gradient", "iterations"),
              "f_values": ("iterations",)}

# Entries the statement gives (the start point): they earn no credit when graded.
GIVEN_ENTRIES = {"iterates": ("[0]",)}

MISCONCEPTIONS = {
    "gradient_ascent": _ascent,
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a run that diverges where the instructor's converges, or the reverse."""
    from hwcheck import variants

    return variants.same_behaviour(variants.diverging(solution.answers["iterates"]),
                                   variants.diverging(reference.answers["iterates"]), "diverges")
