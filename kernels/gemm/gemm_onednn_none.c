/*
 * gemm_onednn_none.c - ab_onednn_baseline when archbench is built without oneDNN.
 */
#include "archbench/gemm.h"

bool ab_onednn_baseline(char *buf, size_t buf_bytes)
{
    if (buf_bytes)
        buf[0] = '\0';
    return false;
}
