"""Every use of Keras' private API in one place, so a Keras upgrade touches this file only.

The monitored train step and the gradient-flow probe need a few internals that Keras 3 does
not export: the trainer's loss computation with its distribution scaling, its loss tracker,
symbolic building, and running a Functional graph with a hook on one layer. Each function
below says why it cannot use a public equivalent. Keras is imported inside the functions:
importing this module loads no TensorFlow.
"""

from __future__ import annotations


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from what a data adapter yields; public since Keras 3.0."""
    import keras

    unpack = getattr(keras.utils, "unpack_x_y_sample_weight", None)
    if unpack is None:
        from keras.src.trainers.data_adapters import data_adapter_utils

        unpack = data_adapter_utils.unpack_x_y_sample_weight
    return unpack(data)


def compute_loss(model, *, x, y, y_pred, sample_weight):
    """The compiled loss plus regularisation losses, scaled for a distribution strategy.

    Private ``_compute_loss`` rather than public ``compute_loss``: it is what Keras' own
    ``train_step`` calls, and it keeps the per-replica scaling that ``unscale_loss`` undoes.
    """
    return model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)


def unscale_loss(loss):
    """The batch's own loss from a distribution-scaled one (a no-op without a strategy)."""
    from keras.src.losses import loss as loss_module

    return loss_module.unscale_loss_for_distribution(loss)


def track_loss(model, loss, batch_size) -> None:
    """Feed ``loss`` into the running mean that Keras reports as "loss", as its train_step does."""
    model._loss_tracker.update_state(loss, sample_weight=batch_size)


def keep_validation_iterator(model) -> None:
    """Inside ``fit``: let every validation pass read on from the one iterator of the pipeline.

    ``evaluate`` resets the epoch iterator that ``fit`` keeps for validation, which drops its
    tf.data iterator, so every epoch's validation built a new one: ~7 ms an epoch (a quarter of a
    small validation pass, 2-3 % of a short epoch). Only right for a repeated pipeline whose
    every pass is exactly ``validation_steps`` long (core.training.fit_inputs): each pass then
    starts at the first sample on the same iterator. Private: Keras has no option for it.
    """
    epochs = getattr(model, "_eval_epoch_iterator", None)
    if epochs is None or getattr(epochs, "_rnnlab_keeps_iterator", False) or not hasattr(epochs, "_current_iterator"):
        return
    reset = epochs.reset

    def reset_keeping_iterator():
        current = epochs._current_iterator
        reset()
        epochs._current_iterator = current

    epochs.reset = reset_keeping_iterator
    epochs._rnnlab_keeps_iterator = True


def build_symbolically(model, data_batch) -> None:
    """Create the optimizer and metric variables without running a step.

    Otherwise they are created while the train step is traced, and TensorFlow then traces it a
    second time (and keeps the first trace's functions alive for the life of the process).
    """
    model._symbolic_build(data_batch=data_batch)


def run_through_graph(model, inputs, operation_fn):
    """Run a Functional model node by node, each layer called through ``operation_fn(layer)``.

    The only way to watch a tensor inside the model as it is produced: a sub-model up to that
    layer would clone the graph and break saving the original.
    """
    return model._run_through_graph(inputs, operation_fn=operation_fn)
