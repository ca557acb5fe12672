"""What a benchmark run will do, said before it starts: which models it scores, trains or cannot score."""

from pathlib import Path

from hogfer.bench.report import load_results
from hogfer.bench.run import all_pipelines, untrained_reason

__all__ = ["plan_benchmark", "plan_text"]


def plan_benchmark(names=None, *, retrain=False, classes="fer7"):
    """What :func:`run_benchmark` will do for ``names``, without loading anything heavy.

    Returns
    -------
    dict
        ``shipped`` and ``cached`` (models it scores as they are), ``train``
        (classical pipelines it trains first), ``missing`` (deep pipelines
        and pipelines that ship no model, without a trained one), ``derived``
        (the ensemble row).
    """
    from hogfer.pipelines import list_pipelines
    from hogfer.store.files import list_models, shipped_dir

    plan = {"shipped": [], "cached": [], "train": [], "missing": [], "derived": []}
    found = list_models()
    for name in names or all_pipelines():
        if name not in list_pipelines():
            plan["derived" if name == "ensemble" else "missing"].append(name)
        elif name in found and not retrain:
            plan["shipped" if found[name].parent.resolve() == shipped_dir().resolve() else "cached"].append(name)
        else:
            plan["missing" if untrained_reason(name, retrain=retrain) else "train"].append(name)
    return plan


def plan_text(plan, out_dir=None):
    """One line on a benchmark plan, with the training time the last results in ``out_dir`` recorded."""
    parts = [f"scores {len(plan['shipped'])} shipped and {len(plan['cached'])} cached models"]
    if plan["train"]:
        recorded = {}
        if out_dir is not None and (Path(out_dir) / "results.json").is_file():
            recorded = {r["pipeline"]: r.get("train_seconds") for r in load_results(Path(out_dir) / "results.json")["rows"]}
        known = [recorded[n] for n in plan["train"] if recorded.get(n)]
        estimate = f", about {sum(known) / 60:.0f} min by the last run's train s" if len(known) == len(plan["train"]) else ""
        parts.append(f"trains {len(plan['train'])} first ({', '.join(plan['train'])}{estimate})")
    if plan["missing"]:
        parts.append(f"cannot score {', '.join(plan['missing'])} (no trained model)")
    return "hogfer bench: " + "; ".join(parts) + "."
