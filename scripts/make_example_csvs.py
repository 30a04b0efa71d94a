"""Write the example CSV files shipped in resources/data/ (run it again to reproduce them byte for byte).

Provenance: both files are SYNTHETIC, made here from seeded random numbers (numpy's default_rng)
and simple physical models; no real person, town or sensor is behind them. They are made to look
and behave like files users bring:

- ``town_energy.csv``: three years of daily electricity demand of a small town (MWh) with the
  day's mean temperature (deg C). Demand follows the week (lower at weekends), the year (heating
  in winter, some cooling in summer) and the temperature, plus noise. A few cells are blank, as
  in a real export: single missed readings and a three-day meter outage. The first column holds
  ISO dates. Example: forecast tomorrow's demand with the gaps interpolated.
- ``activity_sensors.csv``: 30 recordings of a waist-worn accelerometer at 20 Hz (x, y, z in g),
  each labelled idle, walking or running, one activity per recording, the activities taking
  turns so that every part of the file holds all three. Walking sways at about 2 steps/s,
  running bounces at about 3 steps/s with larger swings, idle is gravity plus sensor noise.
  Example: recognise the activity from 2 s of signal, validated on whole recordings.

Usage: ``python scripts/make_example_csvs.py`` (writes into resources/data/).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "resources" / "data"
SEED = 2024


def town_energy(seed: int = SEED) -> str:
    rng = np.random.default_rng(seed)
    days = 3 * 365
    first = dt.date(2021, 1, 1)
    t = np.arange(days)
    season = np.cos(2 * np.pi * (t - 15) / 365.25)  # 1 in mid-January, -1 in mid-July
    temperature = 10.5 - 9.0 * season + rng.normal(0, 2.5, days)
    temperature = np.convolve(temperature, np.ones(3) / 3, mode="same")  # weather lasts a few days
    weekday = np.array([(first + dt.timedelta(days=int(d))).weekday() for d in t])
    weekend = np.isin(weekday, (5, 6))
    heating = np.clip(15.0 - temperature, 0, None) * 1.6
    cooling = np.clip(temperature - 22.0, 0, None) * 1.1
    noise = np.zeros(days)
    for d in range(1, days):  # demand surprises persist a little from day to day
        noise[d] = 0.5 * noise[d - 1] + rng.normal(0, 1.2)
    demand = 62.0 + heating + cooling - 7.5 * weekend + 0.004 * t + noise
    rows = [[(first + dt.timedelta(days=int(d))).isoformat(), f"{demand[d]:.1f}", f"{temperature[d]:.1f}"]
            for d in t]
    for d in rng.choice(np.arange(20, days - 20), size=9, replace=False):  # single missed readings
        rows[int(d)][int(rng.integers(1, 3))] = ""
    outage = int(rng.integers(300, 700))
    for d in range(outage, outage + 3):  # the demand meter was down for three days
        rows[d][1] = ""
    return "date,demand_mwh,temperature_c\n" + "\n".join(",".join(row) for row in rows) + "\n"


ACTIVITIES = ("idle", "walking", "running")


def activity_sensors(seed: int = SEED) -> str:
    rng = np.random.default_rng(seed + 1)
    rate = 20  # samples per second
    lines = ["recording,t_s,acc_x,acc_y,acc_z,activity"]
    for r in range(30):
        activity = ACTIVITIES[r % 3]
        n = int(rng.integers(9, 14)) * rate
        t = np.arange(n) / rate
        noise = rng.normal(0, 0.03, (n, 3))
        tilt = rng.normal(0, 0.05, 3)  # how the sensor sits on this person
        if activity == "idle":
            x, y, z = 0.02 * np.sin(2 * np.pi * 0.25 * t), 0 * t, 1.0 + 0 * t
        else:
            steps = rng.uniform(1.7, 2.2) if activity == "walking" else rng.uniform(2.7, 3.2)
            swing = rng.uniform(0.25, 0.4) if activity == "walking" else rng.uniform(0.8, 1.2)
            phase = 2 * np.pi * steps * t + rng.uniform(0, 2 * np.pi)
            x = 0.6 * swing * np.sin(phase / 2)  # sideways sway at the stride rate
            y = 0.4 * swing * np.sin(phase + 0.7)
            z = 1.0 + swing * np.abs(np.sin(phase)) - swing * 0.6  # a bounce at every step
        values = np.stack([x, y, z], axis=1) + tilt + noise
        for i in range(n):
            lines.append(f"R{r + 1:02d},{t[i]:.2f},{values[i, 0]:.3f},{values[i, 1]:.3f},{values[i, 2]:.3f},{activity}")
    return "\n".join(lines) + "\n"


FILES = {"town_energy.csv": town_energy, "activity_sensors.csv": activity_sensors}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write into (default: resources/data)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (args.out / name).write_text(make(), encoding="utf-8", newline="\n")
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
