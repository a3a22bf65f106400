package io.sparkint8.nn;

import io.sparkint8.kernels.Float32Buffer;
import java.nio.FloatBuffer;

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
  private final int[] argmax;

  public Pool2d(LayerContext ctx, Shape in, int maxBatch, Kind kind, int kernel, int stride,
      int pad) {
    super(ctx, in, maxBatch);
    this.kind = kind;
    this.kh = kind == Kind.GLOBAL_AVG ? in.h() : kernel;
    this.kw = kind == Kind.GLOBAL_AVG ? in.w() : kernel;
    this.stride = kind == Kind.GLOBAL_AVG ? 1 : stride;
    this.pad = kind == Kind.GLOBAL_AVG ? 0 : pad;
    if (kh < 1 || this.stride < 1 || this.pad < 0 || this.pad >= Math.max(1, kh)
        || in.h() + 2 * this.pad < kh || in.w() + 2 * this.pad < kw) {
      throw new IllegalArgumentException(describe() + ": window " + kh + "x" + kw + " stride "
          + this.stride + " pad " + this.pad + " does not fit input " + in);
    }
    int oh = (in.h() + 2 * this.pad - kh) / this.stride + 1;
    int ow = (in.w() + 2 * this.pad - kw) / this.stride + 1;
    this.out = new Shape(in.c(), oh, ow);
    this.y = newActivation(out);
    this.gx = newActivation(in);
    this.argmax = kind == Kind.MAX ? new int[maxBatch * out.size()] : null;
  }

  @Override
  public Shape outputShape() {
    return out;
  }

  @Override
  public String describe() {
    switch (kind) {
      case MAX:
        return "maxpool(" + kh + ",s=" + stride + ",p=" + pad + ")";
      case AVG:
        return "avgpool(" + kh + ",s=" + stride + ",p=" + pad + ")";
      default:
        return "gap";
    }
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    FloatBuffer xv = x.bytes().asFloatBuffer();
    FloatBuffer yv = y.bytes().asFloatBuffer();
    int c = in.c();
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < out.h(); oy++) {
        for (int ox = 0; ox < out.w(); ox++) {
          int o = ((b * out.h() + oy) * out.w() + ox) * c;
          for (int ch = 0; ch < c; ch++) {
            float best = Float.NEGATIVE_INFINITY;
            int where = -1;
            float sum = 0f;
            int cells = 0;
            for (int i = 0; i < kh; i++) {
              int yy = oy * stride - pad + i;
              if (yy < 0 || yy >= in.h()) {
                continue;
              }
              for (int j = 0; j < kw; j++) {
                int xx = ox * stride - pad + j;
                if (xx < 0 || xx >= in.w()) {
                  continue;
                }
                int at = ((b * in.h() + yy) * in.w() + xx) * c + ch;
                float v = xv.get(at);
                if (v > best || where < 0) {
                  best = v;
                  where = at;
                }
                sum += v;
                cells++;
              }
            }
            if (kind == Kind.MAX) {
              yv.put(o + ch, best);
              argmax[o + ch] = where;
            } else {
              yv.put(o + ch, sum / cells);
            }
          }
        }
      }
    }
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    FloatBuffer g = gradOut.bytes().asFloatBuffer();
    FloatBuffer gi = gx.bytes().asFloatBuffer();
    int c = in.c();
    for (int i = 0; i < batch * in.size(); i++) {
      gi.put(i, 0f);
    }
    int outs = batch * out.size();
    if (kind == Kind.MAX) {
      for (int o = 0; o < outs; o++) {
        gi.put(argmax[o], gi.get(argmax[o]) + g.get(o));
      }
      return gx;
    }
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < out.h(); oy++) {
        for (int ox = 0; ox < out.w(); ox++) {
          int y0 = Math.max(0, oy * stride - pad);
          int y1 = Math.min(in.h(), oy * stride - pad + kh);
          int x0 = Math.max(0, ox * stride - pad);
          int x1 = Math.min(in.w(), ox * stride - pad + kw);
          float share = 1f / ((y1 - y0) * (x1 - x0));
          int o = ((b * out.h() + oy) * out.w() + ox) * c;
          for (int yy = y0; yy < y1; yy++) {
            for (int xx = x0; xx < x1; xx++) {
              int at = ((b * in.h() + yy) * in.w() + xx) * c;
              for (int ch = 0; ch < c; ch++) {
                gi.put(at + ch, gi.get(at + ch) + g.get(o + ch) * share);
              }
            }
          }
        }
      }
    }
    return gx;
  }
}
