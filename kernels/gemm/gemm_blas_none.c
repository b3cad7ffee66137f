/*
 * gemm_blas_none.c - ab_blas_baseline when archbench is built without OpenBLAS: there
 * is no baseline to name.
 */
#include <string.h>

#include "archbench/gemm.h"

bool ab_blas_baseline(struct ab_blas_info *out_info)
{
    memset(out_info, 0, sizeof *out_info);
    return false;
}
