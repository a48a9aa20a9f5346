"""The benchmark suite: the library against a hand-written NumPy forward/backward.

An autograd engine on NumPy pays Python overhead per op and for any needless
copy; the arithmetic itself is NumPy's.  Its limit is therefore the same
computation written by hand in NumPy with no graph at all, and every workload
here is timed beside such a version (and beside PyTorch when it is installed),
in the same run, on one thread.  Run ``python -m benchmarks --help``.

Modules: ``workloads`` (the six problems: data and initial weights),
``gradlab_impl`` (the library, used through its public API as a user would),
``numpy_reference`` (the hand-written versions), ``torch_reference``
(PyTorch, optional), ``timing`` (timers, peak memory, machine description),
``run`` (the suite, its table and its JSON).
"""

from benchmarks.run import main, run_suite

__all__ = ["main", "run_suite"]
