/**
 * Off-heap tensors: every buffer has exactly one owner, the {@link
 * io.sparkint8.kernels.memory.OffHeapAllocator} that made it, which reports (and fails a test on) a
 * buffer left open. Closing is idempotent; use after close throws. No finalizers. Imports nothing of
 * the project.
 */
package io.sparkint8.kernels.memory;
