package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.nn.spec.Shape;

/**
 * Max or average pooling over NHWC activations (kernel, stride, zero padding that never wins a max and
 * is not counted in an average), and global average pooling as the special case of a full-image window.
 */
public final class Pool2d extends Layer {
  /** What a window reduces to. */
  public enum Kind {
    MAX,
    AVG,
    GLOBAL_AVG
  }

  private final Kind kind;
  private final int kh;
  private final int kw;
  private final int stride;
  private final int pad;
  private final Shape out;
  private final Float32Buffer y;
  private final Float32Buffer gx;
  private final Int32Buffer argmax; // flat NHWC input index of each max-pool output's winner
  private final boolean fusedIntoBatchNorm;
  private float[] xA;
  private float[] yA;
  private float[] gA;
  private float[] giA;

  public Pool2d(LayerContext ctx, Shape in, int maxBatch, Kind kind, int kernel, int stride,
      int pad) {
    this(ctx, in, maxBatch, kind, kernel, stride, pad, false);
  }

  /**
   * ... whose output, when {@code sharedOutput}, lives in the network's shared slots (its consumer
   * reads it once and keeps nothing of it, e.g. an int8 conv, which keeps its codes).
   */
  Pool2d(LayerContext ctx, Shape in, int maxBatch, Kind kind, int kernel, int stride, int pad,
      boolean sharedOutput) {
    this(ctx, in, maxBatch, kind, kernel, stride, pad, sharedOutput, false);
  }

  /**
   * ... that the {@link BatchNorm} two layers before it applies when {@code fusedIntoBatchNorm}
   * ({@link BatchNorm#fusedPoolKernel()}): it then passes values and errors through and holds no
   * buffers.
   */
  Pool2d(LayerContext ctx, Shape in, int maxBatch, Kind kind, int kernel, int stride, int pad,
      boolean sharedOutput, boolean fusedIntoBatchNorm) {
    super(ctx, in, maxBatch, kindName(kind));
    this.fusedIntoBatchNorm = fusedIntoBatchNorm;
    if (fusedIntoBatchNorm && (kind != Kind.MAX || stride != kernel || pad != 0)) {
      throw new IllegalArgumentException(kindName(kind) + ": only a max-pool whose windows tile"
          + " the image (stride == kernel, no padding) fuses into a batch norm");
    }
    this.kind = kind;
    this.kh = kind == Kind.GLOBAL_AVG ? in.height() : kernel;
    this.kw = kind == Kind.GLOBAL_AVG ? in.width() : kernel;
    this.stride = kind == Kind.GLOBAL_AVG ? 1 : stride;
    this.pad = kind == Kind.GLOBAL_AVG ? 0 : pad;
    if (kh < 1 || this.stride < 1 || this.pad < 0 || this.pad >= Math.max(1, kh)
        || in.height() + 2 * this.pad < kh || in.width() + 2 * this.pad < kw) {
      throw new IllegalArgumentException(describe() + ": window " + kh + "x" + kw + " stride "
          + this.stride + " pad " + this.pad + " does not fit input " + in);
    }
    int oh = (in.height() + 2 * this.pad - kh) / this.stride + 1;
    int ow = (in.width() + 2 * this.pad - kw) / this.stride + 1;
    this.out =
        kind == Kind.GLOBAL_AVG ? Shape.features(in.channels()) : Shape.chw(in.channels(), oh, ow);
    this.y = fusedIntoBatchNorm ? null : sharedOutput ? newTransient(out) : newActivation(out);
    this.gx = fusedIntoBatchNorm ? null : newTransient(in);
    this.argmax = kind == Kind.MAX && !fusedIntoBatchNorm
        ? own(ctx.allocator().allocateInt32((long) maxBatch * out.size())) : null;
  }

  private static String kindName(Kind kind) {
    switch (kind) {
      case MAX:
        return "maxpool";
      case AVG:
        return "avgpool";
      default:
        return "gap";
    }
  }

  @Override
  public Shape outputShape() {
    return out;
  }

  /** Whether the batch norm two layers before this pool applies it. */
  public boolean fusedIntoBatchNorm() {
    return fusedIntoBatchNorm;
  }

  @Override
  public long heapScratchBytes() {
    return floatBytes(xA, yA, gA, giA);
  }

  @Override
  public String describe() {
    return kind == Kind.GLOBAL_AVG
        ? "gap"
        : kindName(kind) + "(" + kh + ",s=" + stride + ",p=" + pad + ")"
            + (fusedIntoBatchNorm ? "(fused)" : "");
  }


  private ConvDesc window(int batch) {
    return new ConvDesc(
        batch, in.height(), in.width(), in.channels(), kh, kw, stride, stride, pad, pad);
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    if (fusedIntoBatchNorm) {
      return x;
    }
    Float32Buffer y = transientBuffer(this.y, x, (long) batch * out.size());
    if (kind == Kind.MAX) {
      ctx.backend().maxPoolF32(window(batch), x, y, argmax);
      return y;
    }
    int c = in.channels();
    int ih = in.height();
    int iw = in.width();
    int oh = out.height();
    int ow = out.width();
    float[] xv = xA = HeapScratch.read(x, xA, batch * in.size());
    float[] yv = yA = HeapScratch.ensure(yA, batch * out.size());
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          int o = ((b * oh + oy) * ow + ox) * c;
          // average pooling (max-pool runs as a backend kernel above): the first cell seeds the sum
          boolean first = true;
          int cells = 0;
          for (int i = 0; i < kh; i++) {
            int yy = oy * stride - pad + i;
            if (yy < 0 || yy >= ih) {
              continue;
            }
            for (int j = 0; j < kw; j++) {
              int xx = ox * stride - pad + j;
              if (xx < 0 || xx >= iw) {
                continue;
              }
              int at = ((b * ih + yy) * iw + xx) * c;
              if (first) {
                for (int ch = 0; ch < c; ch++) {
                  yv[o + ch] = 0f + xv[at + ch];
                }
              } else {
                for (int ch = 0; ch < c; ch++) {
                  yv[o + ch] += xv[at + ch];
                }
              }
              first = false;
              cells++;
            }
          }
          for (int ch = 0; ch < c; ch++) {
            yv[o + ch] = yv[o + ch] / cells;
          }
        }
      }
    }
    HeapScratch.write(yv, y, batch * out.size());
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    if (fusedIntoBatchNorm) {
      return gradOut;
    }
    int c = in.channels();
    int ins = batch * in.size();
    int outs = batch * out.size();
    Float32Buffer gx = transientBuffer(this.gx, gradOut, ins);
    if (kind == Kind.MAX) {
      ctx.backend().maxPoolBackward(window(batch), gradOut, argmax, gx);
      return gx;
    }
    float[] g = gA = HeapScratch.read(gradOut, gA, outs);
    float[] gi = giA = HeapScratch.ensure(giA, ins);
    java.util.Arrays.fill(gi, 0, ins, 0f);
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < out.height(); oy++) {
        for (int ox = 0; ox < out.width(); ox++) {
          int y0 = Math.max(0, oy * stride - pad);
          int y1 = Math.min(in.height(), oy * stride - pad + kh);
          int x0 = Math.max(0, ox * stride - pad);
          int x1 = Math.min(in.width(), ox * stride - pad + kw);
          float share = 1f / ((y1 - y0) * (x1 - x0));
          int o = ((b * out.height() + oy) * out.width() + ox) * c;
          for (int yy = y0; yy < y1; yy++) {
            for (int xx = x0; xx < x1; xx++) {
              int at = ((b * in.height() + yy) * in.width() + xx) * c;
              for (int ch = 0; ch < c; ch++) {
                gi[at + ch] += g[o + ch] * share;
              }
            }
          }
        }
      }
    }
    HeapScratch.write(gi, gx, ins);
    return gx;
  }
}
