#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plot an affinity-train run: the loss per epoch (training and validation) and the
predicted against the target values of the validation ligands (training ligands in grey).

    python plot_training.py --log train_log.csv --predictions predictions.csv --output training.png \
        [--summary metrics.json]

Reads the CSV files that affinity-train writes with --log and --predictions. Also prints the
validation figures (MAE, RMSE, Pearson r) beside those of the trivial baseline that predicts
the mean training target for every ligand, and with --summary writes them as JSON.
"""
import argparse
import csv
import json
import math

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def pearson(xs, ys):
    if len(xs) < 2:
        return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def figures(prediction_rows):
    """Validation MAE, RMSE and Pearson r of the model and of the mean-of-training-targets baseline."""
    train = [float(r["target"]) for r in prediction_rows if r["split"] == "train"]
    held = [(float(r["target"]), float(r["predicted"])) for r in prediction_rows if r["split"] == "validation"]
    result = {"training_ligands": len(train), "validation_ligands": len(held)}
    if not held or not train:
        return result
    mean = sum(train) / len(train)
    targets = [t for t, _ in held]

    def errors(predicted):
        return {"mae": sum(abs(p - t) for p, t in zip(predicted, targets)) / len(targets),
                "rmse": math.sqrt(sum((p - t) ** 2 for p, t in zip(predicted, targets)) / len(targets))}

    result["validation"] = dict(errors([p for _, p in held]), pearson_r=pearson(targets, [p for _, p in held]))
    result["baseline_mean_training_target"] = dict(errors([mean] * len(targets)), value=mean)
    result["validation_target_std"] = math.sqrt(sum((t - sum(targets) / len(targets)) ** 2 for t in targets)
                                                / len(targets))
    return result


def plot(log_rows, prediction_rows, output, unit):
    figure, (loss_axes, scatter_axes) = plt.subplots(1, 2, figsize=(11, 4.5))
    epochs = [int(r["epoch"]) for r in log_rows]
    loss_axes.plot(epochs, [float(r["train_loss"]) for r in log_rows], "o-", label="training")
    validation = [float(r["validation_loss"]) for r in log_rows]
    if any(math.isfinite(v) for v in validation):
        loss_axes.plot(epochs, validation, "s-", label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("mean loss per ligand")
    loss_axes.set_yscale("log")
    loss_axes.set_title("Loss per epoch")
    loss_axes.legend()

    def column(rows, name):
        return [float(r[name]) for r in rows]

    train = [r for r in prediction_rows if r["split"] == "train"]
    held = [r for r in prediction_rows if r["split"] == "validation"]
    scatter_axes.scatter(column(train, "target"), column(train, "predicted"), color="0.75", label="training")
    scatter_axes.scatter(column(held, "target"), column(held, "predicted"), color="C1", label="validation")
    values = column(prediction_rows, "target") + column(prediction_rows, "predicted")
    low, high = min(values), max(values)
    scatter_axes.plot([low, high], [low, high], "k--", linewidth=1)
    summary = figures(prediction_rows)
    if "validation" in summary:
        baseline = summary["baseline_mean_training_target"]
        scatter_axes.axhline(baseline["value"], color="0.5", linestyle=":", linewidth=1,
                             label="baseline: mean training target")
        scatter_axes.set_title(f"Validation: RMSE {summary['validation']['rmse']:.2f}{unit}, Pearson r "
                               f"{summary['validation']['pearson_r']:.2f}\n(baseline RMSE {baseline['rmse']:.2f})",
                               fontsize=10)
    else:
        scatter_axes.set_title("No validation ligands")
    scatter_axes.set_xlabel(f"target{unit}")
    scatter_axes.set_ylabel(f"predicted{unit}")
    scatter_axes.legend()
    figure.tight_layout()
    figure.savefig(output, dpi=120)


def main():
    parser = argparse.ArgumentParser(description="Plot the loss per epoch and predicted vs target of an "
                                     "affinity-train run, as PNG.")
    parser.add_argument("--log", required=True, help="the per-epoch CSV log (affinity-train --log)")
    parser.add_argument("--predictions", required=True, help="the predictions CSV (affinity-train --predictions)")
    parser.add_argument("--output", required=True, help="the PNG to write")
    parser.add_argument("--unit", default="kcal/mol", help="the target's unit, for the axes (default kcal/mol)")
    parser.add_argument("--summary", help="also write the validation figures and the baseline's as JSON here")
    args = parser.parse_args()
    log_rows = read_rows(args.log)
    if not log_rows:
        raise SystemExit(f"plot_training: {args.log} holds no epochs")
    prediction_rows = read_rows(args.predictions)
    plot(log_rows, prediction_rows, args.output, f" ({args.unit})" if args.unit else "")
    print(f"plot_training: wrote {args.output}")
    summary = figures(prediction_rows)
    last = log_rows[-1]
    summary["epochs"] = int(last["epoch"])
    summary["final_train_loss"] = float(last["train_loss"])
    summary["final_validation_loss"] = float(last["validation_loss"])
    summary["training_seconds"] = sum(float(r["seconds"]) for r in log_rows)
    if "validation" in summary:
        model, baseline = summary["validation"], summary["baseline_mean_training_target"]
        print(f"plot_training: validation ({summary['validation_ligands']} ligands): MAE {model['mae']:.3f}, "
              f"RMSE {model['rmse']:.3f}, Pearson r {model['pearson_r']:.3f}; predicting the mean training "
              f"target ({baseline['value']:.3f}): MAE {baseline['mae']:.3f}, RMSE {baseline['rmse']:.3f}")
    if args.summary:
        with open(args.summary, "w") as stream:
            json.dump(summary, stream, indent=1)
            stream.write("\n")
        print(f"plot_training: wrote {args.summary}")


if __name__ == "__main__":
    main()
