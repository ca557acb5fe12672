"""Training named pipelines with one protocol: fit on Training, choose on PublicTest, score on PrivateTest.

- :mod:`.protocol`: the validation split and what a run records;
- :mod:`.classical`: feature pipelines (features once, a hyperparameter grid, class balancing);
- :mod:`.deep`: Keras pipelines, their ONNX copies, re-scoring.
"""

from hogfer.training.classical import check_train_request, split_feature_steps, train_and_save, train_pipeline

__all__ = ["train_pipeline", "train_and_save", "check_train_request", "split_feature_steps"]
