/*
 * ops_scalar.c - the portable path: the reference implementations of ops_generic.h, built without any
 * ISA flags so it runs on every x86-64 CPU.
 */
#include "ops_generic.h"

const int8k_misc_ops int8k_misc_ops_scalar = OPS_GENERIC_TABLE(INT8K_ISA_SCALAR);
