"""Daily weather as the lecture's 5-number vector: high, low, wind, rain, humidity.

The simulated climate has a yearly season (a sine with its peak in late July), weather that
persists from day to day (an AR(1) temperature anomaly and a "moisture" process that makes rain
come in spells) and noise. The task forecasts tomorrow's high from the last N days.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from core.datasets.arrays import fit_normalization, normalize, parse_number_rows, series_windows
from core.datasets.base import REGRESSION, DataInfo, ParamSpec, SequenceData, WindowedTask, register_task
from core.errors import DatasetError

FEATURES = ("high (F)", "low (F)", "wind (mph)", "rain (in)", "humidity")
COLUMNS = ("high", "low", "wind", "rain", "humidity")
DAYS_PER_YEAR = 365.25


def simulate_weather(days: int, rng: np.random.Generator, *, noise: float = 1.0,
                     start_day_of_year: int = 0) -> np.ndarray:
    """(days, 5) array of high F, low F, wind mph, rain inches, relative humidity (0-1)."""
    doy = start_day_of_year + np.arange(days)
    # +1 in late July, -1 in late January.
    season = np.sin(2 * np.pi * (doy - 110) / DAYS_PER_YEAR)
    anomaly = np.zeros(days)
    moisture = np.zeros(days)
    shocks = rng.normal(size=(days, 2))
    for t in range(1, days):
        anomaly[t] = 0.75 * anomaly[t - 1] + 3.5 * noise * shocks[t, 0]
        moisture[t] = 0.6 * moisture[t - 1] + 0.8 * shocks[t, 1]
    rain_chance = 1.0 / (1.0 + np.exp(-(-0.9 - 0.5 * season + 1.3 * moisture)))
    raining = rng.random(days) < rain_chance
    rain = np.where(raining, np.minimum(rng.gamma(0.8, 0.3, size=days), 3.0), 0.0)
    high = 62 + 20 * season + anomaly - 4.0 * raining
    spread = 18 - 6.0 * raining - 3.0 * moisture + 2.5 * noise * rng.normal(size=days)
    low = high - np.maximum(spread, 3.0)
    wind = np.maximum(9 - 2 * season + 5.0 * raining + 3.0 * noise * rng.normal(size=days), 0.0)
    humidity = np.clip(0.62 + 0.08 * moisture + 0.15 * raining - 0.05 * season
                       + 0.05 * noise * rng.normal(size=days), 0.15, 1.0)
    return np.stack([high, low, wind, rain, humidity], axis=1)


def weather_csv_text(days: int = 730, seed: int = 2024, start: str = "2023-01-01") -> str:
    """The shipped resources/data/daily_weather.csv: date plus the five columns, rounded as a station would."""
    first = _dt.date.fromisoformat(start)
    values = simulate_weather(days, np.random.default_rng(seed), start_day_of_year=first.timetuple().tm_yday - 1)
    lines = ["date," + ",".join(COLUMNS)]
    for i, (high, low, wind, rain, humidity) in enumerate(values):
        day = first + _dt.timedelta(days=i)
        lines.append(f"{day.isoformat()},{high:.1f},{low:.1f},{wind:.1f},{rain:.2f},{humidity:.2f}")
    return "\n".join(lines) + "\n"


def describe_day(row: np.ndarray) -> str:
    high, low, wind, rain, humidity = (float(v) for v in row)
    return (f"high {high:.0f} F, low {low:.0f} F, wind {wind:.0f} mph, rain {rain:.2f} in, "
            f"humidity {humidity * 100:.0f}%")


@register_task
class WeatherTask(WindowedTask):
    name = "weather"
    title = "Weather forecast"
    description = (
        "Simulated daily weather, each day the lecture's vector of five numbers: high and low "
        "temperature (F), wind (mph), rain (inches) and relative humidity. Temperatures follow the "
        "seasons, warm and cold spells last several days, rain comes in wet spells. From the last "
        "days predict tomorrow's high. Inputs and target are normalised with the mean and spread of "
        "the training days only; the last days of the series are kept for validation."
    )
    lecture_note = (
        "Data as a vector: 'High is 67 F. Low is 43 F. Wind is 13 mph. .25 inches of rain. Relative "
        "humidity is 83%' becomes [67, 43, 13, .25, .83]. A many-to-one RNN reads a sequence of such "
        "vectors and outputs one number."
    )
    kind = REGRESSION
    params = (
        ParamSpec("days", "int", 1000, "Days simulated",
                  "Length of the simulated weather record; windows are cut from it.",
                  minimum=60, maximum=200000),
        ParamSpec("window", "int", 14, "Days seen",
                  "How many past days the net reads to forecast the next day's high.",
                  minimum=1, maximum=365),
        ParamSpec("noise", "float", 1.0, "Weather noise",
                  "Scale of the day-to-day randomness (0: seasons only, 1: a normal climate).",
                  minimum=0.0, maximum=3.0),
    )

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        rng = np.random.default_rng(seed)
        values = simulate_weather(params["days"], rng, noise=params["noise"],
                                  start_day_of_year=int(rng.integers(0, 365)))
        window = params["window"]
        x_tr, y_tr, x_va, y_va, n_train = series_windows(
            values, values[:, :1], window=window, horizon=1, validation_split=validation_split,
            io_mode=io_mode, source="The simulated weather record")
        norm = fit_normalization(values[:n_train], values[:n_train, :1])
        x_tr, x_va = (normalize(x, norm["x_mean"], norm["x_std"]) for x in (x_tr, x_va))
        y_tr, y_va = (normalize(y, norm["y_mean"], norm["y_std"]) for y in (y_tr, y_va))
        output_shape = (window, 1) if io_mode == "many_to_many" else (1,)
        example = "; ".join(["60 45 8 0 0.7"] * (window - 1) + ["67 43 13 0.25 0.83"])
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=REGRESSION, input_kind="real",
            input_shape=(window, len(FEATURES)), output_shape=output_shape,
            feature_names=list(FEATURES), target_names=["tomorrow's high (F)"],
            normalization=norm, description=self.description,
            # The target is tomorrow's value of the first feature (persistence baseline, plots).
            extra={"units": "F", "input_example": example, "train_rows": n_train,
                   "rows": params["days"], "target_feature_indices": [0], "window": window},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def _raw_input(self, info: DataInfo, x: np.ndarray) -> np.ndarray:
        return info.denormalize_x(np.asarray(x).reshape(-1, len(FEATURES)))

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        days = self._raw_input(info, x)
        highs = ", ".join(f"{h:.0f}" for h in days[-7:, 0])
        more = "... " if len(days) > 7 else ""
        return f"{len(days)} days, highs {more}{highs} F; last day: {describe_day(days[-1])}"

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        values = np.asarray(info.denormalize_y(y), dtype=float).reshape(-1)
        if info.io_mode == "many_to_many" and values.size > 1:
            shown = ", ".join(f"{v:.1f}" for v in values[-7:])
            return f"next-day highs: {'... ' if values.size > 7 else ''}{shown} F"
        return f"tomorrow's high: {values[-1]:.1f} F"

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        """One day per line or per ';': high, low, wind, rain, humidity (0-1, or a percentage)."""
        rows = parse_number_rows(text, list(FEATURES), info, row_word="day")
        humidity = rows[:, 4]
        rows[:, 4] = np.where(humidity > 1.0, humidity / 100.0, humidity)
        if (rows[:, 4] < 0).any() or (rows[:, 4] > 1).any() or (rows[:, 3] < 0).any():
            raise DatasetError("Humidity must be 0-1 (or 0-100%) and rain cannot be negative.")
        norm = info.normalization or {}
        return normalize(rows, norm.get("x_mean", 0.0), norm.get("x_std", 1.0))
