/*
 * ops_scalar.c - the portable path: the generic kernels of ops_generic.h, built without any ISA flags so
 * they run on every x86-64 CPU.
 */
#include "ops_generic.h"

const int8k_misc_ops int8k_misc_ops_scalar = {
    .isa = INT8K_ISA_SCALAR,
#define INT8K_OP INT8K_GENERIC_ENTRY
#define INT8K_KERNEL INT8K_GENERIC_ENTRY
#include "int8k_ops.def"
};
