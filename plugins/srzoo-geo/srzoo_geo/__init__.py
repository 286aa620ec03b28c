"""srzoo-geo: weather and climate grids. Entry module: registers lazily, no torch.

Physical diagnostics as metrics (score de-normalised fields, physical units): ``rapsd``,
``quantile``, ``maxerr``, ``wrmse``, ``divergence``, ``vorticity``, ``mass``. Each may take the
run's grid context through the optional ``setup(context)`` method (channel names, units, scale,
latitudes, longitudes); ``mass`` also takes the LR input (``needs_lr``). See README.md.

The output constraint ``conserve`` fills the ``constraint`` slot that the core applies around
every generator (``gen=srresnet+conserve(mode=add)``).
"""

from srzoo_core import hookimpl

_GEO = "srzoo_geo"


@hookimpl
def srzoo_register_metrics(register):
    register(
        "rapsd", f"{_GEO}.spectrum:rapsd",
        description="Log-spectral distance (dB) of SR vs HR radially averaged power spectra over the "
                    "high-wavenumber band kmin..kmax of Nyquist (pysteps rapsd); per sample and channel",
    )
    register(
        "quantile", f"{_GEO}.extremes:quantile",
        description="Error of the q-quantile (0.99; 0.999) of SR vs HR per sample and channel, physical units",
    )
    register(
        "maxerr", f"{_GEO}.extremes:maxerr",
        description="Error of the maximum (of pool x pool block means) of SR vs HR per sample and channel, physical units",
    )
    register(
        "wrmse", f"{_GEO}.weighted:wrmse",
        description="cos(latitude)-weighted RMSE (WeatherBench/ECMWF, weights of mean 1) per sample and channel; "
                    "needs the run's latitudes or lat_first/lat_last",
    )
    register(
        "divergence", f"{_GEO}.wind:divergence",
        description="RMSE of the horizontal divergence of the wind pair wind='u,v' (central differences; "
                    "metres from lat/lon, else unit spacing); per sample",
    )
    register(
        "vorticity", f"{_GEO}.wind:vorticity",
        description="RMSE of the relative vorticity of the wind pair wind='u,v' (central differences; "
                    "metres from lat/lon, else unit spacing); per sample",
    )
    register(
        "mass", f"{_GEO}.mass:mass",
        description="Mass violation: mean |scale x scale block means of SR - LR| per sample and channel, "
                    "relative to mean |LR| (Harder et al. 2022); zero for a conserving model",
    )


@hookimpl
def srzoo_register_blocks(register):
    register(
        "conserve", f"{_GEO}.conserve:conserve", slot="constraint",
        description="Output constraint: the SR's scale x scale block means equal the LR input "
                    "(Harder et al. 2022); mode add, mult or softmax (mult/softmax in physical units); fits any generator",
    )
