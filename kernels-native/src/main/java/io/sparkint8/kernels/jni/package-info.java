/**
 * The JNI backend: {@link io.sparkint8.kernels.jni.NativeBackend} over libint8k, which ships inside the
 * jar under {@code native/linux-x86_64/}, is extracted once per JVM by {@link
 * io.sparkint8.kernels.jni.NativeLibrary} ({@code -Dint8.native.path} overrides it) and picks its ISA path
 * at run time ({@code INT8K_MAX_ISA} caps it). Each operation's hook calls a static native of the same
 * name declared next to it; the C side generates those entries from src/main/native/int8k_ops.def. A
 * native returns a status that Java turns into an exception. Imports {@code kernels.spi} and {@code
 * kernels.memory}.
 */
package io.sparkint8.kernels.jni;
