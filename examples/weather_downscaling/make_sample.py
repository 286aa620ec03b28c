"""Write a small reanalysis-like netCDF file for this example: 2 m temperature (K) and 10 m wind
(m s**-1) on a 64x64 latitude/longitude grid (0.5 degrees, 60N-28.5N, 10W-21.5E), six-hourly from
2019-03-01, with CF attributes and a land-sea mask — shaped like an ERA5 download, but synthetic
(smooth drifting anomalies, a meridional gradient, a diurnal cycle; no observations). It is
generated, never committed.

    python examples/weather_downscaling/make_sample.py [PATH] [--times 240] [--size 64] [--seed 0]
"""

from __future__ import annotations

import sys

from srzoo_xarray.sample import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        arguments = ["era5_like.nc", *arguments]
    main(arguments)
