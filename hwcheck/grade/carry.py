"""Error carried forward (SPEC §9; Numbas' adaptive marking, entry by entry).

Where a part is a chain of steps, each entry is also checked against the kind's own update
applied to the student's *own* earlier entries (of this part, or of an earlier part of the same
problem). An entry that is wrong against the key but right against that recomputation earns its
credit; the feedback names the first wrong entry.

A hook ``(key, student, others) -> nested floats`` recomputes, for one part, every entry from the
student's earlier values (``None`` where it cannot, or must not: see ``trivial``). ``student`` is
the parsed answer of the part, ``others`` a function giving another part's parsed answer (or None).
Recomputation is in floats: the comparison is within the part's tolerance and rounding anyway.

No gaming: an upstream value that makes the next one trivial (all zeros, or a copy of the
statement's data, or no change at all) carries no credit.

>>> from hwcheck.api import load_problem_text
>>> from hwcheck.grade.keys import KeySet
>>> from hwcheck.grade.grader import grade_part
>>> p = load_problem_text("{id: gd, kind: gradient_descent, given: {f: 'x^2', start: {x: 1}, "
...                       "learning_rate: 0.25, steps: 3}}")
>>> key = KeySet([p])["gd"]
>>> g = grade_part(key, "iterates", [[1], [0.6], [0.3], [0.15]])   # slip at [1], then right from it
>>> g.score, g.carried_forward
(0.6667, ('[2][0]', '[3][0]'))
"""

from __future__ import annotations

import math
from typing import Callable

from hwcheck.grade import compare as cmp
from hwcheck.grade.values import Arr, Map, Num, Seq, Value

NAN = Num(None, math.nan, "")


# -- reading the student's values as floats ------------------------------------------------

def floats(value: Value | None):
    """Nested floats of a parsed value (Arr -> flat list with its shape; Map -> dict; Seq -> list)."""
    if value is None:
        return None
    if isinstance(value, Num):
        return value.value
    if isinstance(value, Arr):
        if not all(isinstance(v, Num) for v in value.items):
            return None
        return [v.value for v in value.items]
    if isinstance(value, Map):
        return {k: floats(v) for k, v in value.items}
    if isinstance(value, Seq):
        return [floats(v) for v in value.items]
    return None


def vectors(value: Value | None, count: int | None = None) -> list | None:
    """A list of vectors (each a list of floats), written as a matrix or as a list of lists."""
    if isinstance(value, Arr) and all(isinstance(v, Num) for v in value.items):
        if len(value.shape) == 2:
            h, w = value.shape
            return [[value.items[i * w + j].value for j in range(w)] for i in range(h)]
        if count and value.size % count == 0:  # one coordinate per point, written flat
            w = value.size // count
            return [[value.items[i * w + j].value for j in range(w)] for i in range(count)]
        return None
    if isinstance(value, Seq):
        out = []
        for item in value.items:
            f = floats(item)
            out.append(f if isinstance(f, list) and all(isinstance(v, float) for v in f) else None)
        return out
    return None


def trivial(vector, givens=()) -> bool:
    """All zeros, or (nearly) a copy of one of the statement's vectors: no carried credit from it."""
    if vector is None or any(not math.isfinite(v) for v in vector):
        return True
    if all(math.fabs(v) < 1e-12 for v in vector):
        return True
    for g in givens:
        if g is not None and len(g) == len(vector) and all(
                math.fabs(a - b) <= 1e-9 * max(1.0, math.fabs(b)) for a, b in zip(vector, g)):
            return True
    return False


def like(key: Value, nested) -> Value:
    """A value tree shaped as ``key`` from nested floats (None or a missing entry: nan)."""
    if isinstance(key, Arr):
        flat = _flatten(nested)
        if flat is None or len(flat) != key.size:
            flat = [None] * key.size
        return Arr(key.shape, tuple(NAN if v is None else Num(None, float(v), "") for v in flat))
    if isinstance(key, Map):
        nested = nested if isinstance(nested, dict) else {}
        return Map(tuple((k, like(v, nested.get(k))) for k, v in key.items))
    if isinstance(key, Seq):
        nested = nested if isinstance(nested, list) else []
        return Seq(tuple(like(v, nested[i] if i < len(nested) else None) for i, v in enumerate(key.items)))
    if nested is None or isinstance(nested, (list, dict)):
        return NAN
    return Num(None, float(nested), "")


def _flatten(nested):
    if nested is None:
        return None
    if isinstance(nested, (int, float)):
        return [nested]
    out = []
    for v in nested:
        if isinstance(v, (list, tuple)):
            out.extend(v)
        else:
            out.append(v)
    return out


def rows_like(key: Arr, rows: list) -> Value:
    """An Arr shaped as ``key`` (points × coordinates) from rows, a None row being all nan."""
    if isinstance(key, Seq):
        return like(key, rows)
    w = key.shape[-1] if len(key.shape) == 2 else 1
    flat = []
    for row in rows:
        flat.extend([None] * w if row is None else row)
    return like(key, flat)


class FloatOps:
    """The arithmetic the update rules of ``hwcheck.optim`` take, in plain floats."""

    num = staticmethod(float)
    sqrt = staticmethod(lambda v: math.sqrt(v) if v > 0 else 0.0)
    div = staticmethod(lambda a, b: a / b)


# -- the per-kind hooks ----------------------------------------------------------------------

def _memo(key, name: str, build: Callable):
    if name not in key._memo:
        key._memo[name] = build()
    return key._memo[name]


def _gradient(key) -> Callable:
    """∇f as a float function of a point (the solver's own f, differentiated once per key)."""
    def build():
        import sympy as sp

        from hwcheck.optim import Objective

        g = key.problem.given
        objective = Objective(g.f, list(g.start))
        grad = sp.lambdify(objective.symbols, list(objective.gradient), "math")
        value = sp.lambdify(objective.symbols, objective.expr, "math")
        return grad, value
    return _memo(key, "carry_f", build)


def _call(fn, point):
    try:
        out = fn(*point)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    if isinstance(out, list):
        out = [float(v) for v in out]
        return out if all(math.isfinite(v) for v in out) else None
    out = float(out)
    return out if math.isfinite(out) else None


def _start(key) -> list[float]:
    return [float(v) for v in key.problem.given.start.values()]


def _gd_iterates(key, student, others):
    g = key.problem.given
    rows = vectors(student, g.steps + 1)
    if rows is None:
        return None
    grad = _gradient(key)[0]
    start, lr = _start(key), float(g.learning_rate)
    out = [start, None]
    for t in range(2, g.steps + 1):
        prev = rows[t - 1] if t - 1 < len(rows) else None
        if prev is None or trivial(prev, [start]) or len(prev) != len(start):
            out.append(None)
            continue
        d = _call(grad, prev)
        out.append(None if d is None else [p - lr * di for p, di in zip(prev, d)])
    return out


def _at_student_points(fn_index: int, first: int):
    """gradients / f_values from the student's own iterates (another part)."""
    def hook(key, student, others):
        g = key.problem.given
        rows = vectors(others("iterates"), g.steps + 1)
        if rows is None:
            return None
        fn = _gradient(key)[fn_index]
        start = _start(key)
        out = []
        count = g.steps + first
        for t in range(count):
            row = rows[t] if t < len(rows) else None
            if t == 0 or row is None or trivial(row, [start]) or len(row) != len(start):
                out.append(None)
                continue
            v = _call(fn, row)
            out.append(v if fn_index == 0 else (None if v is None else [v]))
        return out
    return hook


def _hyper(given) -> dict:
    from hwcheck import optim

    s = optim.settings_from(given)
    h = {k: float(v) for k, v in s.numbers().items()}
    h.update({"momentum_form": s.momentum_form, "bias_correction": s.bias_correction})
    return h


def _replay(key, points, states=None):
    """Run the optimizer's rule from each of the student's points (and, when given, states):
    (next point, state after) for t = 1..T, in floats."""
    from hwcheck import optim

    g = key.problem.given
    rule = optim.RULES[g.optimizer]
    h = _hyper(g)
    n = len(g.start)
    state = {k: [0.0] * n for k in optim.STATE_KEYS[g.optimizer]}
    grad_fn = _gradient(key)[0] if g.f is not None else None
    out = []
    for t in range(1, g.steps + 1):
        x = points[t - 1] if t - 1 < len(points) else None
        if states is not None and t >= 2:
            own = states[t - 2] if t - 2 < len(states) else None
            if isinstance(own, dict) and all(isinstance(own.get(k), list) and len(own[k]) == n
                                             for k in optim.STATE_KEYS[g.optimizer]):
                state = {k: own[k] for k in optim.STATE_KEYS[g.optimizer]}
            else:
                state = None
        if x is None or state is None or len(x) != n:
            out.append((None, None))
            state = state if x is None else None
            if state is None and states is None:
                return out + [(None, None)] * (g.steps - t)
            continue

        def grad(p, t=t):
            if g.gradients is not None:
                return [float(v) for v in g.gradients[t - 1]]
            d = _call(grad_fn, p)
            if d is None:
                raise ArithmeticError
            return d
        try:
            x_new, state, _info = rule(list(x), dict(state), grad, t, h, FloatOps)
        except (ArithmeticError, ValueError, ZeroDivisionError, OverflowError):
            out.append((None, None))
            state = None if states is None else state
            if states is None:
                return out + [(None, None)] * (g.steps - t)
            continue
        out.append((x_new, state))
    return out


def _opt_iterates(key, student, others):
    g = key.problem.given
    rows = vectors(student, g.steps + 1)
    if rows is None:
        return None
    start = _start(key)
    replayed = _replay(key, rows)
    out = [start, None]
    for t in range(2, g.steps + 1):
        prev = rows[t - 1] if t - 1 < len(rows) else None
        out.append(None if prev is None or trivial(prev, [start]) else replayed[t - 1][0])
    return out


def _opt_state(key, student, others):
    g = key.problem.given
    own_points = vectors(others("iterates"), g.steps + 1)
    points = own_points or [[float(v) for v in p] for p in key.solution.answers["iterates"]]
    states = floats(student)
    if not isinstance(states, list):
        return None
    replayed = _replay(key, points, states)
    start = _start(key)
    out = [None]
    for t in range(2, g.steps + 1):
        own = states[t - 2] if t - 2 < len(states) else None
        upstream = [v for vs in (own or {}).values() if isinstance(vs, list) for v in vs]
        point = points[t - 1] if t - 1 < len(points) else None
        if not upstream or trivial(upstream) or point is None or (own_points and trivial(point, [start])):
            out.append(None)
            continue
        out.append(replayed[t - 1][1])
    return out


def _sgd_updates(key):
    from hwcheck.kinds import sgd_dataset

    def build():
        g = key.problem.given
        xs, dim = g.data.x
        X = [[float(c) for c in x] if dim is not None else [float(x)] for x in xs]
        return X, [float(y) for y in g.data.y], [u["batch"] for u in sgd_dataset.trace(g)], dim is None
    return _memo(key, "carry_sgd", build)


def _params(value, scalar):
    if not isinstance(value, dict):
        return None
    w, b = value.get("w"), value.get("b")
    if scalar:
        w = [w] if isinstance(w, float) else (w if isinstance(w, list) and len(w) == 1 else None)
    if not isinstance(w, list) or not isinstance(b, float):
        return None
    return w, b


def _sgd_params(key, student, others):
    g = key.problem.given
    X, Y, batches, scalar = _sgd_updates(key)
    own = floats(student)
    if not isinstance(own, list):
        return None
    init_w = [float(c) for c in (g.init.w if not scalar else (g.init.w,))]
    init = (init_w, float(g.init.b))
    lr = float(g.learning_rate)
    out = [None]
    for t in range(2, len(batches) + 1):
        prev = _params(own[t - 2], scalar) if t - 2 < len(own) else None
        if prev is None or trivial(prev[0] + [prev[1]], [init[0] + [init[1]]]):
            out.append(None)
            continue
        w, b = prev
        if len(w) != len(init_w):
            out.append(None)
            continue
        batch = batches[t - 1]
        res = [sum(wj * xj for wj, xj in zip(w, X[i])) + b - Y[i] for i in batch]
        gw = [sum(r * X[i][j] for r, i in zip(res, batch)) / len(batch) for j in range(len(w))]
        gb = sum(res) / len(batch)
        new_w = [wj - lr * gj for wj, gj in zip(w, gw)]
        out.append({"w": new_w[0] if scalar else new_w, "b": b - lr * gb})
    return out


def _sgd_losses(key, student, others):
    g = key.problem.given
    X, Y, batches, scalar = _sgd_updates(key)
    own = floats(others("params"))
    if not isinstance(own, list):
        return None
    init_w = [float(c) for c in (g.init.w if not scalar else (g.init.w,))]
    out = []
    for t in range(len(batches)):
        p = _params(own[t], scalar) if t < len(own) else None
        if p is None or trivial(p[0] + [p[1]], [init_w + [float(g.init.b)]]) or len(p[0]) != len(init_w):
            out.append(None)
            continue
        w, b = p
        res = [sum(wj * xj for wj, xj in zip(w, x)) + b - y for x, y in zip(X, Y)]
        out.append(sum(r * r for r in res) / (2 * len(res)))
    return out


# window_classifier and mlp_backprop: backward values from the student's own forward values

def _fprime_from_output(activation: str, a: float) -> float | None:
    """f′(z) written with the output a = f(z) (what a student's own forward value gives)."""
    if activation == "sigmoid":
        return a * (1 - a)
    if activation == "tanh":
        return 1 - a * a
    if activation == "relu":
        return 1.0 if a > 0 else 0.0
    if activation == "linear":
        return 1.0
    return None


def _fl(v) -> list:
    return [float(x) for x in v]


def _matrix(M) -> list[list[float]]:
    return [[float(M[i, j]) for j in range(M.shape[1])] for i in range(M.shape[0])]


def _wc_given(key):
    def build():
        g = key.problem.given
        return _fl(g.x), _matrix(g.W), _fl(g.b), _fl(g.u), g.activation
    return _memo(key, "carry_wc", build)


def _wc(part):
    def hook(key, student, others):
        x, W, b, u, act = _wc_given(key)
        givens = [x, b, u]

        def own(name, n):
            value = student if name == part else others(name)
            f = floats(value)
            return f if isinstance(f, list) and len(f) == n and not trivial(f, givens) else None
        n, m = len(W), len(x)
        if part == "h":
            z = own("z", n)
            if z is None:
                return None
            import hwcheck.nn as nn  # noqa: F401 - only the activation's formula is needed
            return [_activate(act, v) for v in z]
        if part == "s":
            h = own("h", n)
            return None if h is None else sum(a * c for a, c in zip(u, h))
        if part == "delta":
            h = own("h", n)
            if h is None:
                return None
            d = [_fprime_from_output(act, v) for v in h]
            return None if None in d else [a * c for a, c in zip(u, d)]
        if part == "ds_du":
            return own("h", n)
        delta = own("delta", n)
        if delta is None:
            return None
        if part == "ds_db":
            return delta
        if part == "ds_dW":
            return [di * xj for di in delta for xj in x]
        if part == "ds_dx":
            return [sum(W[i][j] * delta[i] for i in range(n)) for j in range(m)]
        return None
    return hook


def _activate(act: str, z: float) -> float | None:
    try:
        if act == "sigmoid":
            return 1 / (1 + math.exp(-z))
        if act == "tanh":
            return math.tanh(z)
        if act == "relu":
            return max(0.0, z)
        return z
    except OverflowError:
        return None


def _mlp_given(key):
    def build():
        g = key.problem.given
        layers = [(_matrix(layer.W), _fl(layer.b), layer.activation) for layer in g.layers]
        return _fl(g.x), _fl(g.target), layers, g.loss, (float(g.learning_rate) if g.learning_rate else None)
    return _memo(key, "carry_mlp", build)


def _mlp(part):
    def hook(key, student, others):
        x, target, layers, loss, lr = _mlp_given(key)
        givens = [x, target] + [b for _, b, _ in layers]
        L = len(layers)

        def own(name):
            value = student if name == part else others(name)
            if value is None:
                return None
            if name in ("grad_W",):
                return [None if not isinstance(v, Arr) else _rows(v) for v in getattr(value, "items", ())]
            vs = vectors(value)
            return vs
        if part in ("W_new", "b_new"):
            grads = own("grad_W" if part == "W_new" else "grad_b")
            if grads is None or lr is None or len(grads) != L:
                return None
            out = []
            for l, (W, b, _) in enumerate(layers):
                gl = grads[l]
                if part == "W_new":
                    ok = gl is not None and len(gl) == len(W) and not trivial([v for r in gl for v in r])
                    out.append([[w - lr * d for w, d in zip(rw, rg)] for rw, rg in zip(W, gl)] if ok else None)
                else:
                    ok = gl is not None and len(gl) == len(b) and not trivial(gl)
                    out.append([bi - lr * d for bi, d in zip(b, gl)] if ok else None)
            return out
        if part in ("grad_W", "grad_b"):
            deltas = own("deltas")
            if deltas is None or len(deltas) != L:
                return None
            acts = own("activations")
            out = []
            for l, (W, b, _) in enumerate(layers):
                d = deltas[l]
                if d is None or len(d) != len(b) or trivial(d, givens):
                    out.append(None)
                    continue
                if part == "grad_b":
                    out.append(d)
                    continue
                a_prev = x if l == 0 else (acts[l - 1] if acts and l - 1 < len(acts) else None)
                if a_prev is None or len(a_prev) != len(W[0]) or (l > 0 and trivial(a_prev, givens)):
                    out.append(None)
                    continue
                out.append([[di * aj for aj in a_prev] for di in d])
            return out
        if part == "deltas":
            acts = own("activations")
            if acts is None or len(acts) != L:
                return None
            own_deltas = vectors(student)
            out = [None] * L
            for l in range(L - 1, -1, -1):
                W, b, act = layers[l]
                a = acts[l]
                if a is None or len(a) != len(b) or trivial(a, givens):
                    continue
                if l == L - 1:
                    if act == "softmax" and loss == "cross_entropy":
                        out[l] = [ai - ti for ai, ti in zip(a, target)]
                        continue
                    scale = 1.0 if loss == "half_sse" else (2.0 / len(a) if loss == "mse" else None)
                    d = [_fprime_from_output(act, ai) for ai in a]
                    if scale is None or None in d:
                        continue
                    out[l] = [scale * (ai - ti) * di for ai, ti, di in zip(a, target, d)]
                else:
                    up = own_deltas[l + 1] if own_deltas and l + 1 < len(own_deltas) else None
                    W_up = layers[l + 1][0]
                    d = [_fprime_from_output(act, ai) for ai in a]
                    if up is None or len(up) != len(W_up) or trivial(up) or None in d:
                        continue
                    back = [sum(W_up[i][j] * up[i] for i in range(len(W_up))) for j in range(len(a))]
                    out[l] = [bj * dj for bj, dj in zip(back, d)]
            return out
        return None
    return hook


def _vanishing(part):
    """local derivatives from the student's own activations; gradients from the student's own
    later gradient and local derivatives (∂a_L/∂a_l = ∂a_L/∂a_{l+1} · ∂a_{l+1}/∂a_l)."""
    def hook(key, student, others):
        from hwcheck.kinds.vanishing_gradient import weights

        g = key.problem.given
        ws = [float(w) for w in _memo(key, "carry_vg", lambda: weights(g))]
        L = len(ws)
        if part == "local_derivatives":
            acts = floats(others("activations"))
            if not isinstance(acts, list) or len(acts) != L + 1:
                return None
            out = []
            for l in range(1, L + 1):
                a = acts[l]
                d = _fprime_from_output(g.activation, a) if isinstance(a, float) else None
                out.append(None if d is None or a == 0 else d * ws[l - 1])
            return out
        own = floats(student)
        locals_ = floats(others("local_derivatives"))
        if not isinstance(locals_, list) or len(locals_) != L:
            locals_ = [float(v) for v in key.solution.answers["local_derivatives"]]
        if not isinstance(own, list) or len(own) != L:
            return None
        out = []
        for l in range(L):
            if l == L - 1:
                out.append(locals_[l])
                continue
            up = own[l + 1]
            out.append(None if not isinstance(up, float) or up == 0 or not isinstance(locals_[l], float)
                       else up * locals_[l])
        return out
    return hook


def _rows(value: Arr):
    if not all(isinstance(v, Num) for v in value.items):
        return None
    if len(value.shape) == 1:
        return [[v.value] for v in value.items]
    h, w = value.shape
    return [[value.items[i * w + j].value for j in range(w)] for i in range(h)]


HOOKS: dict[tuple[str, str], Callable] = {
    ("gradient_descent", "iterates"): _gd_iterates,
    ("gradient_descent", "gradients"): _at_student_points(0, 0),
    ("gradient_descent", "f_values"): _at_student_points(1, 1),
    ("optimizer_trace", "iterates"): _opt_iterates,
    ("optimizer_trace", "state"): _opt_state,
    ("sgd_dataset", "params"): _sgd_params,
    ("sgd_dataset", "losses"): _sgd_losses,
    **{("window_classifier", p): _wc(p) for p in ("h", "s", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du")},
    **{("mlp_backprop", p): _mlp(p) for p in ("deltas", "grad_W", "grad_b", "W_new", "b_new")},
    ("vanishing_gradient", "local_derivatives"): _vanishing("local_derivatives"),
    ("vanishing_gradient", "gradients"): _vanishing("gradients"),
}


def supported(kind: str, part: str) -> bool:
    return (kind, part) in HOOKS


def carried(key, part, given: Value, comparison: cmp.Comparison, ctx: cmp.Context, answers, prefixes=()):
    """(paths credited by carry-forward, the first wrong path) for one part."""
    from hwcheck.grade.grader import is_given_entry

    hook = HOOKS.get((key.problem.kind, part.name))
    if hook is None or any(code in ("shape", "length") for code, _ in comparison.notes):
        return (), None
    cache: dict = {}

    def others(name):
        if name not in cache:
            cache[name] = None
            if name in key.parts and answers.get(name) is not None:
                from hwcheck.grade.parse import Unreadable, read

                try:
                    cache[name] = read(answers[name], key.parts[name].value, variables=key.variables,
                                       readings=key.readings())
                except Unreadable:
                    pass
        return cache[name]
    try:
        nested = hook(key, given, others)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError):
        return (), None
    if nested is None:
        return (), None
    expected = rows_like(part.value, nested) if isinstance(part.value, Arr) and isinstance(nested, list) \
        and nested and (nested[0] is None or isinstance(nested[0], list)) else like(part.value, nested)
    own = cmp.compare(given, expected, ctx.quick())
    if len(own.outcomes) != len(comparison.outcomes):
        return (), None
    credited, first = [], None
    for (path, outcome), (_, again) in zip(comparison.outcomes, own.outcomes):
        if outcome == "equal" or is_given_entry(path, prefixes):
            continue
        if again == "equal":
            credited.append(path)
        elif first is None:
            first = path
    if not credited:
        return (), None
    return tuple(credited), first
