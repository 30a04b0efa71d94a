"""Sweeps in the window: Run › Sweep… (dialog.py, its rows in field_row.py and the fields it
offers in fields.py, its time estimated in a thread by estimator.py, long names cut by
elided_label.py), the sweep run from a thread (worker.py) and the Sweeps tab (results_view.py:
the trials' table in table_model.py, the plots in plots.py). ``install_sweeps`` adds them to the
main window."""

from desktop_app.sweeps.install import install_sweeps

__all__ = ["install_sweeps"]
