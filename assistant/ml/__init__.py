"""The recommender: graph, splits, models, training, evaluation, checkpoints, explanations.

Qt-free. Heavy imports (torch, torch_geometric) happen in the modules that need them.
"""
