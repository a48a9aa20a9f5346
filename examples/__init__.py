"""Reproduce the lab report this project grew from, using gradlab as any user would.

Run ``python -m examples.report`` for every experiment (figures and a
``report/README.md``), ``python -m examples.train`` for a single training run,
``python -m examples.digits`` for the multiclass part and ``python -m examples.conv``
for the Conv1d part.

How this matches the report: the report's hand-written backpropagation sums the
gradient over the batch (its update is ``delta @ a.T``), so its learning rate is a
per-sample rate.  The examples therefore use ``BCELoss(reduction='sum')`` by
default; with the mean-reduced loss and the report's learning rate of 0.05, XOR
training stalls near 52% accuracy after 5000 epochs.
"""
