"""hwcheck: exact worked solutions and grading for deep-learning exercises.

Importing the package is cheap: SymPy and NumPy are imported by the modules
that need them, so ``hwcheck --help`` starts fast.
"""

__version__ = "0.1.0"
