"""srzoo-loggers: where ``--log`` sends a run's progress. Entry module: registers lazily, no torch.

The logger contract (kind ``logger``, hook ``srzoo_register_loggers``)
-----------------------------------------------------------------------
``factory(**options)`` returns an object with

``start(run_dir: pathlib.Path, description: Mapping[str, Any], resume_step: int | None) -> None``
    called once before training; ``description`` is the run description as a JSON-like mapping
    (logged as hyper-parameters). ``resume_step`` is the step a resumed run continues from: every
    step the interrupted run logged *after* it is dropped, so no step is logged twice.
``log_scalars(step: int, values: Mapping[str, float]) -> None``
``log_images(step: int, images: Mapping[str, numpy.ndarray]) -> None``
    images are HWC ``uint8`` with 1, 3 or 4 channels; anything else is a ``ValueError``.
``close() -> None``
    flushes and releases; called once at the end of the run.

A factory whose backend package is missing raises ``UsageError`` naming the extra to install.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_loggers(register):
    register(
        "tensorboard",
        "srzoo_loggers.tensorboard_logger:TensorBoardLogger",
        description="TensorBoard event files in the run folder: scalars, sample images, the run description as hparams "
                    "(extra: srzoo-loggers[tensorboard])",
        aliases=("tb",),
    )
    register(
        "mlflow",
        "srzoo_loggers.mlflow_logger:MLflowLogger",
        description="MLflow tracking: params from the run description, metrics, sample images as artifacts; a file store "
                    "in the run folder unless tracking_uri is given (extra: srzoo-loggers[mlflow])",
    )
