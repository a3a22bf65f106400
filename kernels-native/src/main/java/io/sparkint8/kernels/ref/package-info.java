/**
 * The pure-Java reference of every kernel: {@link io.sparkint8.kernels.ref.JavaBackend} defines the
 * semantics (bit for bit) that the native and CUDA backends reproduce and that the conformance tests
 * compare against.
 */
package io.sparkint8.kernels.ref;
