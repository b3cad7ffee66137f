/*
 * registry_list.h - every kernel family and every variant descriptor, in one place.
 *
 * Adding a variant: write its file (code + `const struct ab_kernel ab__kernel_<name>`),
 * then add one row to its family's list below, under the row macro of the instruction
 * set library it is built into. Within a family: fastest first, the reference last,
 * because ab_kernel_best() takes the first runnable row.
 *
 * Row macros: REF(name) plain C, always built; AVX2(name), AVX512(name),
 * AVX512VNNI(name), AVX512BF16(name) built into that level's library when the compiler
 * supports it; BLAS(name) a vendor-library baseline, built only when its library is
 * found (registry.c maps each such name to its AB_HAVE_* flag). registry.c defines each macro
 * to either a table entry or nothing, so no #if is needed here.
 *
 * Adding a family: one FAMILY(name) row in AB_FAMILY_LIST (its descriptor is
 * `ab_family_<name>`) and an AB_KERNELS_<NAME> list appended to AB_KERNEL_LIST.
 */
#ifndef ARCHBENCH_REGISTRY_LIST_H
#define ARCHBENCH_REGISTRY_LIST_H

#define AB_FAMILY_LIST(FAMILY) \
    FAMILY(peak)                 \
    FAMILY(gemm_f32)             \
    FAMILY(gemm_bf16)            \
    FAMILY(gemm_f16)             \
    FAMILY(gemm_i8)              \
    FAMILY(moe_route)            \
    FAMILY(moe_ffn)              \
    FAMILY(moe_ffn_i8)           \
    FAMILY(moe_dispatch)         \
    FAMILY(mha)                  \
    FAMILY(rope)                 \
    FAMILY(linear_attn)          \
    FAMILY(lsh_attn)             \
    FAMILY(layer)                \
    FAMILY(moe_ep)               \
    FAMILY(tp_allreduce)

/* FP32 GEMM (kernels/gemm) */
#define AB_KERNELS_GEMM_F32(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(gemm_f32_avx512)                                                 \
    BLAS(gemm_f32_openblas)                                                 \
    BLAS(gemm_f32_onednn)                                                   \
    REF(gemm_f32_ref)

/* BF16 GEMM, FP32 accumulation (kernels/gemm) */
#define AB_KERNELS_GEMM_BF16(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512BF16(gemm_bf16_avx512bf16)                                       \
    BLAS(gemm_bf16_onednn)                                                 \
    REF(gemm_bf16_ref)

/* FP16 storage, FP32 compute and accumulation (kernels/gemm) */
#define AB_KERNELS_GEMM_F16(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(gemm_f16_f16c)                                                 \
    BLAS(gemm_f16_onednn)                                                 \
    REF(gemm_f16_ref)

/* W8A8 INT8 GEMM (kernels/quant) */
#define AB_KERNELS_GEMM_I8(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512VNNI(gemm_i8_avx512vnni)                                         \
    AVX2(gemm_i8_avx2)                                                     \
    BLAS(gemm_i8_onednn)                                                   \
    REF(gemm_i8_ref)

/* MoE routing (kernels/moe) */
#define AB_KERNELS_MOE_ROUTE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    REF(moe_route_fast)                                                      \
    REF(moe_route_ref)

/* MoE dispatch, expert FFN, combine (kernels/moe) */
#define AB_KERNELS_MOE_FFN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(moe_ffn_avx512)                                                 \
    REF(moe_ffn_grouped)                                                   \
    REF(moe_ffn_ref)

/* MoE layer body with INT8 experts (kernels/moe) */
#define AB_KERNELS_MOE_FFN_I8(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512VNNI(moe_ffn_i8_avx512vnni)                                         \
    REF(moe_ffn_i8_ref)

/* MoE dispatch + gather + combine alone, the layer's work around its GEMMs (kernels/moe) */
#define AB_KERNELS_MOE_DISPATCH(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(moe_dispatch_avx512)                                                 \
    REF(moe_dispatch_fast)                                                      \
    REF(moe_dispatch_ref)

/* Peak probes (kernels/probes): listed first, the runner measures them first */
#define AB_KERNELS_PEAK(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512VNNI(peak_avx512vnni)                                         \
    AVX512(peak_avx512)                                                 \
    REF(peak_ref)

/* Exact multi-head attention (kernels/attention) */
#define AB_KERNELS_MHA(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(mha_flash_avx512)                                           \
    BLAS(mha_unfused_openblas)                                         \
    REF(mha_ref)

/* Rotary position embedding (kernels/attention) */
#define AB_KERNELS_ROPE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(rope_avx512)                                                 \
    REF(rope_ref)

/* Linear attention, phi = elu + 1 (kernels/attention) */
#define AB_KERNELS_LINEAR_ATTN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(linear_attn_avx512)                                                 \
    REF(linear_attn_ref)

/* Reformer LSH attention, shared QK (kernels/attention) */
#define AB_KERNELS_LSH_ATTN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AVX512(lsh_attn_avx512)                                                 \
    REF(lsh_attn_ref)

/* One transformer block composed from the families above (kernels/layer) */
#define AB_KERNELS_LAYER(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    REF(layer_best)                                                      \
    REF(layer_ref)
/* Expert-parallel MoE layer across MPI ranks (kernels/parallel); collective */
#define AB_KERNELS_MOE_EP(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    REF(moe_ep_alltoallv)                                                 \
    REF(moe_ep_ref)

/* Tensor-parallel attention output projection + all-reduce (kernels/parallel); collective */
#define AB_KERNELS_TP_ALLREDUCE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    REF(tp_allreduce_mpi)                                                       \
    REF(tp_allreduce_ref)

#define AB_KERNEL_LIST(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AB_KERNELS_PEAK(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)     \
    AB_KERNELS_GEMM_F32(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)   \
    AB_KERNELS_GEMM_BF16(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)  \
    AB_KERNELS_GEMM_F16(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)   \
    AB_KERNELS_GEMM_I8(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)    \
    AB_KERNELS_MOE_ROUTE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)  \
    AB_KERNELS_MOE_FFN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)    \
    AB_KERNELS_MOE_FFN_I8(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AB_KERNELS_MHA(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)        \
    AB_KERNELS_ROPE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)       \
    AB_KERNELS_LINEAR_ATTN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AB_KERNELS_LSH_ATTN(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)    \
    AB_KERNELS_MOE_DISPATCH(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS) \
    AB_KERNELS_LAYER(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)        \
    AB_KERNELS_MOE_EP(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)       \
    AB_KERNELS_TP_ALLREDUCE(REF, AVX2, AVX512, AVX512VNNI, AVX512BF16, BLAS)

#endif /* ARCHBENCH_REGISTRY_LIST_H */
