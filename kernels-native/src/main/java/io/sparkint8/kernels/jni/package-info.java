/**
 * The JNI backend: {@link io.sparkint8.kernels.jni.NativeBackend} over libint8k, which ships inside
 * the jar under {@code native/linux-x86_64/}, is extracted once per JVM ({@code -Dint8.native.path}
 * overrides it) and picks its ISA path at run time ({@code INT8K_MAX_ISA} caps it). Native calls
 * return a status that Java turns into an exception.
 */
package io.sparkint8.kernels.jni;
