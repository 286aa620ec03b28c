"""srzoo's benchmarks. ``python -m benchmarks`` (``make bench``) runs the suite and writes
``benchmarks/results/<date>.md``; see ``benchmarks/__main__.py`` for its options. Each section
module has ``run() -> dict`` (the results, for the runner to collect) and runs on its own as
``python -m benchmarks.<name>``, printing a Markdown table:

- ``startup``: wall time of ``srzoo list`` / ``srzoo --help`` and the import-time breakdown.
- ``training``: trainer overhead against a hand-written loop, the bf16 + channels_last fast path
  against fp32 eager, and the step's FLOP rate against the machine's bf16 convolution peak.
- ``data_pipeline``: the share of each iteration spent waiting for data (built-in photos, .npy grid).
- ``scaling``: step time against batch and patch size; one process against torchrun.
- ``inference``: tiles from a memory budget, precision (accuracy and speed), seams, peak memory
  (VmHWM), a 4096² grid under 2 GiB, onnxruntime (``inference_accuracy``, ``inference_speed``).
- ``gpu``: images/s on CUDA (``--device cuda``).

Shared pieces: ``common`` (timing, srzoo's loop driver, the hand-written loop), ``plan`` (how much
each section measures), ``targets`` and ``report``/``document`` (the results file).
"""
