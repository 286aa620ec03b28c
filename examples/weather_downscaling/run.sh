#!/usr/bin/env bash
# Seed 004's SRGAN ablation on two-variable weather grids (16x16 -> 64x64), done right:
# baseline SRResNet-8 + PatchGAN with l1+ssim+0.01*gan; + SE attention; + multi-scale fusion;
# both. Every arm gets the same data, options and seeds; only the named block differs.
#
#   ./run.sh                                  # a generated reanalysis-like netCDF, 3 seeds, minutes on 2 CPUs
#   ITERS=5000 ./run.sh                       # a budget worth reading (hours on a CPU)
#   ./run.sh --data "era5.nc:vars=t2m,u10:split=time:2019-03-25"   # your netCDF/zarr (srzoo-xarray)
#   ./run.sh --data /path/to/seasonal_split:Summer     # seed 004's arrays (see README.md)
#   ./run.sh --print-commands                 # one `srzoo train` line per run, for a cluster
#   ./run.sh --degradation bilinear-noaa      # any other `srzoo train` option is passed on
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SRZOO=${SRZOO:-$(command -v srzoo || echo "$here/../../.venv/bin/srzoo")}
BASE=${BASE:-"gen=srresnet(blocks=8) disc=patchgan loss=l1+ssim+0.01*gan"}
DATA=${DATA:-}
SEEDS=${SEEDS:-3}
ITERS=${ITERS:-20}
BATCH=${BATCH:-8}
OUT=${OUT:-ablations/weather}
passed=()
print_only=no

while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --iters) ITERS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --print-commands) print_only=yes; passed+=("$1"); shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) passed+=("$1"); shift ;;
  esac
done

# No --data: generate the sample netCDF (t2m and u10 with units, latitude/longitude/time) once,
# validate on its last ten days, and score the physical diagnostics too.
if [ -z "$DATA" ]; then
  sample="$(dirname "$OUT")/era5_like.nc"
  if [ "$print_only" = no ] && [ ! -f "$sample" ]; then
    python=${PYTHON:-$(head -1 "$SRZOO" | sed 's/^#!//')}   # the interpreter srzoo is installed in
    case "$python" in *python*) ;; *) python=python3 ;; esac
    mkdir -p "$(dirname "$OUT")"
    "$python" "$here/make_sample.py" "$sample" --times 240
  fi
  DATA="$sample:vars=t2m,u10:split=time:2019-04-21"
  case "$BASE" in *metric=*) ;; *) BASE="$BASE metric=wrmse+quantile(q=0.999)+rapsd+mass" ;; esac
fi

# Baseline, +se, +multiscale, +se+multiscale: SEEDS runs each, in $OUT/<arm>/seed<k>.
# Rerunning the same command skips finished runs and resumes an interrupted one.
"$SRZOO" ablate "$BASE" --add gen:se --add gen:multiscale \
  --seeds "$SEEDS" --data "$DATA" --iters "$ITERS" --batch "$BATCH" --out "$OUT" ${passed[@]+"${passed[@]}"}

if [ "$print_only" = no ]; then
  # Mean ± std over seeds per arm, Δ against the baseline with Welch's test, the bicubic baseline:
  # $OUT/report.md, report.csv and plots.
  "$SRZOO" report "$OUT"
fi
