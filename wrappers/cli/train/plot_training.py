#!/usr/bin/env python3
"""Plot an affinity-train run: the loss per epoch (training and validation) and the
predicted against the target values of the validation ligands (training ligands in grey).

    python plot_training.py --log train_log.csv --predictions predictions.csv --output training.png

Reads the CSV files that affinity-train writes with --log and --predictions.
"""
import argparse
import csv
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
    targets, predicted = column(held, "target"), column(held, "predicted")
    rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(predicted, targets)) / len(targets)) if targets else float("nan")
    scatter_axes.set_title(f"Validation: RMSE {rmse:.2f}{unit}, Pearson r {pearson(targets, predicted):.2f}")
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
    args = parser.parse_args()
    log_rows = read_rows(args.log)
    if not log_rows:
        raise SystemExit(f"plot_training: {args.log} holds no epochs")
    plot(log_rows, read_rows(args.predictions), args.output, f" ({args.unit})" if args.unit else "")
    print(f"plot_training: wrote {args.output}")


if __name__ == "__main__":
    main()
