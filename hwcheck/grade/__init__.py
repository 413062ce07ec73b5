"""Grading student submissions (SPEC.md sections 4 and 5).

Pure phases over frozen data (STYLE.md, practice 4)::

    read (submission.py)  raw file            -> Submission
    keys (keys.py)        Problem             -> ProblemKey   (solved once per batch)
    parse (parse.py)      raw answer + key    -> a value tree, or Unreadable
    compare (compare.py)  value trees         -> Comparison    (tiny predicates in predicates.py,
                                                                 symbolic ones in a killable worker)
    carry (carry.py)      wrong entries       -> the ones right from the student's own earlier values
    feedback (grader.py)  Comparison + key    -> PartGrade     (wording in templates/en/grade/)
    render (report.py)    GradeResult         -> md / json / gradescope / csv / summary

This ``__init__`` stays light (no SymPy) so that ``hwcheck --help`` is fast;
``hwcheck.grade.options`` holds the defaults the CLI shows.

>>> from hwcheck.api import load_problem_text
>>> from hwcheck.grade.keys import KeySet
>>> from hwcheck.grade.grader import grade_submission
>>> from hwcheck.grade.submission import submission_from_data
>>> p = load_problem_text("{id: init, kind: init_bounds, given: {scheme: he_normal, n_in: 50, n_out: 10}}")
>>> keys = KeySet([p])
>>> sub = submission_from_data({"student": "s1", "answers": {"init": {"std": "sqrt(2/50)"}}}, keys)
>>> grade_submission(keys, sub).problems[0].parts[0].verdict
'correct'
"""
