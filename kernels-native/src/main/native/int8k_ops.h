/*
 * int8k_ops.h - the expansion of an INT8K_OP line of int8k_ops.def into C: parameter lists, the
 * arguments of a call, the null checks and the further checks of the dispatcher. (The JNI expansions
 * live in int8k_jni.c.) Each argument tuple (KIND, ...) of a line is expanded by a "mode" macro
 * <mode>_<KIND>(...), applied to every argument in order by I8K_EACH.
 */
#ifndef INT8K_OPS_H
#define INT8K_OPS_H

/* ---- applying a mode to every argument tuple of a line (up to 16) ------------------------------------ */

#define I8K_CAT_(a, b) a##b
#define I8K_CAT(a, b) I8K_CAT_(a, b)
#define I8K_NARGS(...) I8K_NARGS_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define I8K_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, n, ...) n
#define I8K_EACH(mode, ...) I8K_CAT(I8K_EACH_, I8K_NARGS(__VA_ARGS__))(mode, __VA_ARGS__)
#define I8K_EACH_1(m, a) I8K_ARG(m, a)
#define I8K_EACH_2(m, a, ...) I8K_ARG(m, a) I8K_EACH_1(m, __VA_ARGS__)
#define I8K_EACH_3(m, a, ...) I8K_ARG(m, a) I8K_EACH_2(m, __VA_ARGS__)
#define I8K_EACH_4(m, a, ...) I8K_ARG(m, a) I8K_EACH_3(m, __VA_ARGS__)
#define I8K_EACH_5(m, a, ...) I8K_ARG(m, a) I8K_EACH_4(m, __VA_ARGS__)
#define I8K_EACH_6(m, a, ...) I8K_ARG(m, a) I8K_EACH_5(m, __VA_ARGS__)
#define I8K_EACH_7(m, a, ...) I8K_ARG(m, a) I8K_EACH_6(m, __VA_ARGS__)
#define I8K_EACH_8(m, a, ...) I8K_ARG(m, a) I8K_EACH_7(m, __VA_ARGS__)
#define I8K_EACH_9(m, a, ...) I8K_ARG(m, a) I8K_EACH_8(m, __VA_ARGS__)
#define I8K_EACH_10(m, a, ...) I8K_ARG(m, a) I8K_EACH_9(m, __VA_ARGS__)
#define I8K_EACH_11(m, a, ...) I8K_ARG(m, a) I8K_EACH_10(m, __VA_ARGS__)
#define I8K_EACH_12(m, a, ...) I8K_ARG(m, a) I8K_EACH_11(m, __VA_ARGS__)
#define I8K_EACH_13(m, a, ...) I8K_ARG(m, a) I8K_EACH_12(m, __VA_ARGS__)
#define I8K_EACH_14(m, a, ...) I8K_ARG(m, a) I8K_EACH_13(m, __VA_ARGS__)
#define I8K_EACH_15(m, a, ...) I8K_ARG(m, a) I8K_EACH_14(m, __VA_ARGS__)
#define I8K_EACH_16(m, a, ...) I8K_ARG(m, a) I8K_EACH_15(m, __VA_ARGS__)
/* (KIND, x, y, ...) -> m_KIND(x, y, ...) */
#define I8K_ARG(m, tuple) I8K_ARG_(m, I8K_UNPACK tuple)
#define I8K_UNPACK(...) __VA_ARGS__
#define I8K_ARG_(m, ...) I8K_ARG__(m, __VA_ARGS__)
#define I8K_ARG__(m, kind, ...) m##_##kind(__VA_ARGS__)

/* ---- the shapes: leading parameters, passing them on, validating them -------------------------------- */

#define I8K_SHAPE_PARAMS_COUNT int64_t count
#define I8K_SHAPE_PARAMS_MATRIX int64_t rows, int64_t cols
#define I8K_SHAPE_PARAMS_CHANNELS int64_t rows, int64_t c
#define I8K_SHAPE_PARAMS_WINDOW const int8k_conv_desc *d
#define I8K_SHAPE_PARAMS_POOL const int8k_conv_desc *d

#define I8K_SHAPE_PASS_COUNT count
#define I8K_SHAPE_PASS_MATRIX rows, cols
#define I8K_SHAPE_PASS_CHANNELS rows, c
#define I8K_SHAPE_PASS_WINDOW d
#define I8K_SHAPE_PASS_POOL d

/* ---- modes over the arguments ------------------------------------------------------------------------ */

/* I8K_PARAM: ", <declaration>" of each parameter */
#define I8K_PARAM_IN(T, name, elements) , const T *name
#define I8K_PARAM_OUT(T, name, elements) , T *name
#define I8K_PARAM_INOUT(T, name, elements) , T *name
#define I8K_PARAM_OPT_OUT(T, name, elements) , T *name
#define I8K_PARAM_OPT_IN(T, name, elements) , const T *name
#define I8K_PARAM_IN_ARRAY(T, name, length) , const T *name
#define I8K_PARAM_OUT_ARRAY(T, name, length) , T *name
#define I8K_PARAM_VALUE(T, name) , T name
#define I8K_PARAM_REQUIRE(...)
#define I8K_PARAM_VALIDATE(...)

/* I8K_PASS: ", <name>" of each parameter */
#define I8K_PASS_IN(T, name, elements) , name
#define I8K_PASS_OUT(T, name, elements) , name
#define I8K_PASS_INOUT(T, name, elements) , name
#define I8K_PASS_OPT_OUT(T, name, elements) , name
#define I8K_PASS_OPT_IN(T, name, elements) , name
#define I8K_PASS_IN_ARRAY(T, name, length) , name
#define I8K_PASS_OUT_ARRAY(T, name, length) , name
#define I8K_PASS_VALUE(T, name) , name
#define I8K_PASS_REQUIRE(...)
#define I8K_PASS_VALIDATE(...)

/* I8K_NONNULL: " && <name> != NULL" for each pointer that must be given */
#define I8K_NONNULL_IN(T, name, elements) &&name != NULL
#define I8K_NONNULL_OUT(T, name, elements) &&name != NULL
#define I8K_NONNULL_INOUT(T, name, elements) &&name != NULL
#define I8K_NONNULL_OPT_OUT(T, name, elements)
#define I8K_NONNULL_OPT_IN(T, name, elements)
#define I8K_NONNULL_IN_ARRAY(T, name, length) &&name != NULL
#define I8K_NONNULL_OUT_ARRAY(T, name, length) &&name != NULL
#define I8K_NONNULL_VALUE(T, name)
#define I8K_NONNULL_REQUIRE(...)
#define I8K_NONNULL_VALIDATE(...)

/* I8K_FURTHER: the further checks, as statements of a function with `op` (its name) and CHECK in scope */
#define I8K_FURTHER_IN(T, name, elements)
#define I8K_FURTHER_OUT(T, name, elements)
#define I8K_FURTHER_INOUT(T, name, elements)
#define I8K_FURTHER_OPT_OUT(T, name, elements)
#define I8K_FURTHER_OPT_IN(T, name, elements)
#define I8K_FURTHER_IN_ARRAY(T, name, length)
#define I8K_FURTHER_OUT_ARRAY(T, name, length)
#define I8K_FURTHER_VALUE(T, name)
#define I8K_FURTHER_REQUIRE(cond, format, ...) CHECK(cond, "%s: " format, op, ##__VA_ARGS__);
#define I8K_FURTHER_VALIDATE(expression)                                                                  \
  {                                                                                                      \
    int further_ = (expression);                                                                         \
    if (further_ != INT8K_OK) return further_;                                                           \
  }

/* The parameter list of an op (and of its kernels): the shape's, then the arguments'. */
#define INT8K_OP_PARAMS(shape, ...) I8K_SHAPE_PARAMS_##shape I8K_EACH(I8K_PARAM, __VA_ARGS__)

#endif /* INT8K_OPS_H */
