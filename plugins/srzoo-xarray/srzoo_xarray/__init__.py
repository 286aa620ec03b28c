"""srzoo-xarray: labelled grids (netCDF, zarr, GRIB) for srzoo. Entry module: registers lazily,
imports neither xarray nor torch.

``--data era5.nc:vars=t2m,u10,v10:split=time:2019-03-25`` trains on named variables with their
units and coordinates, read lazily; ``srzoo upscale CKPT in.nc out.nc`` writes the result on the
refined grid with coordinates and attributes. See README.md.
"""

from srzoo_core import hookimpl
from srzoo_xarray.location import SUFFIXES  # cheap: no xarray, no torch


@hookimpl
def srzoo_register_datasources(register):
    register(
        "xarray", "srzoo_xarray.source:XarraySource", suffixes=SUFFIXES,
        description="netCDF / zarr / GRIB (cfgrib extra) through xarray, read lazily: file.nc[:vars=a,b][:split=time:DATE]"
                    "[:mask=VAR][:vectors=u:x,v:y][:DIM=VALUE]; names, units and coordinates kept; globs of files",
    )
