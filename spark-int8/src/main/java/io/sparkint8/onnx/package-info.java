/**
 * ONNX export of a trained model: {@link io.sparkint8.onnx.OnnxExport} turns a {@link
 * io.sparkint8.nn.ModelState} into an ONNX model (opset 17) that computes the model's inference
 * forward pass, int8 weights and per-example activation quantization included. The ONNX messages
 * are encoded by a small hand-written protobuf writer ({@code ProtoWriter}, {@code OnnxProto}),
 * so exporting adds no dependency. The Spark side ({@code ml.OnnxModelWriter}, the {@code
 * write().format("onnx")} entry point) calls this package.
 *
 * <p>Depends on the engine ({@code nn}, {@code nn.spec}) and the kernels' reference backend (for
 * the weight codes); never on {@code local}, {@code train} or {@code ml}, and never imports
 * {@code org.apache.spark} (tests enforce both).
 */
package io.sparkint8.onnx;
