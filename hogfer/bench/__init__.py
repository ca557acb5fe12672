"""The benchmark: every pipeline scored on the same data, in one table.

:func:`run_benchmark` (:mod:`.run`) scores each named pipeline's trained model
on PrivateTest (and PublicTest), measuring its throughput on this machine; the
ensemble row is built in :mod:`.ensemble`; :func:`write_results` (:mod:`.report`)
writes ``results.md``, ``results.csv``, ``results.json`` and two figures, and
:func:`update_readme` copies the table into the README between markers.
Nothing in the table is typed by hand.
"""

from hogfer.bench.ensemble import choose_ensemble
from hogfer.bench.report import load_results, merge_results, previous_results, render_summary, render_table, update_readme, with_dependent_rows, write_results
from hogfer.bench.run import TABLE_ORDER, all_pipelines, run_benchmark

__all__ = [
    "all_pipelines",
    "TABLE_ORDER",
    "run_benchmark",
    "choose_ensemble",
    "merge_results",
    "with_dependent_rows",
    "write_results",
    "update_readme",
    "render_table",
    "render_summary",
    "load_results",
    "previous_results",
]
