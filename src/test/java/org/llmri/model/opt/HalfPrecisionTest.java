package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.Tensor;

/** float16 and bfloat16 widen to float32 exactly, for every bit pattern, including the edge cases. */
class HalfPrecisionTest {

    private static Tensor halves(DType dtype, short... bits) {
        MemorySegment seg = MemorySegment.ofArray(new byte[bits.length * 2]);
        for (int i = 0; i < bits.length; i++) seg.set(Tensor.I16_LE, 2L * i, bits[i]);
        return Tensor.of("t", dtype, new long[] {bits.length}, seg);
    }

    /** IEEE binary16 by its definition, computed independently of the JDK's conversion. */
    private static double f16Reference(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1F, frac = bits & 0x3FF;
        double magnitude = exp == 0 ? Math.scalb((double) frac, -24)
                : exp == 31 ? (frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : Math.scalb(1024.0 + frac, exp - 25);
        return sign == 1 ? -magnitude : magnitude;
    }

    /** bfloat16 by its definition: 8 exponent bits, 7 fraction bits. */
    private static double bf16Reference(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 7) & 0xFF, frac = bits & 0x7F;
        double magnitude = exp == 0 ? Math.scalb((double) frac, -133)
                : exp == 255 ? (frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : Math.scalb(128.0 + frac, exp - 134);
        return sign == 1 ? -magnitude : magnitude;
    }

    @Test
    void everyFloat16BitPatternWidensExactly() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        Tensor t = halves(DType.F16, all);
        float[] bulk = t.toFloatArray();
        for (int i = 0; i < all.length; i++) {
            double ref = f16Reference(i);
            float one = t.getFloat(i);
            if (Double.isNaN(ref)) {
                assertThat(one).as("bits %04x", i).isNaN();
                assertThat(bulk[i]).isNaN();
            } else {
                // compare bits so that -0.0 and +0.0 are told apart
                assertThat(Float.floatToRawIntBits(one)).as("bits %04x", i).isEqualTo(Float.floatToRawIntBits((float) ref));
                assertThat(Float.floatToRawIntBits(bulk[i])).isEqualTo(Float.floatToRawIntBits((float) ref));
            }
        }
    }

    @Test
    void everyBfloat16BitPatternWidensExactly() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        Tensor t = halves(DType.BF16, all);
        float[] bulk = new float[all.length];
        t.copyToFloat(0, bulk, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            double ref = bf16Reference(i);
            if (Double.isNaN(ref)) {
                assertThat(t.getFloat(i)).as("bits %04x", i).isNaN();
                assertThat(bulk[i]).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(t.getFloat(i))).as("bits %04x", i)
                        .isEqualTo(Float.floatToRawIntBits((float) ref));
                assertThat(Float.floatToRawIntBits(bulk[i])).isEqualTo(Float.floatToRawIntBits((float) ref));
            }
        }
    }

    @Test
    void namedEdgeCases() {
        Tensor f16 = halves(DType.F16, (short) 0x0000, (short) 0x8000, (short) 0x0001, (short) 0x03FF, (short) 0x7C00,
                (short) 0xFC00, (short) 0x7E00, (short) 0x7BFF, (short) 0x3C00);
        assertThat(Float.floatToRawIntBits(f16.getFloat(0))).isEqualTo(0);
        assertThat(Float.floatToRawIntBits(f16.getFloat(1))).isEqualTo(0x80000000);
        assertThat(f16.getFloat(2)).isEqualTo(0x1p-24f); // smallest subnormal
        assertThat(f16.getFloat(3)).isEqualTo(1023 * 0x1p-24f); // largest subnormal
        assertThat(f16.getFloat(4)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16.getFloat(5)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f16.getFloat(6)).isNaN();
        assertThat(f16.getFloat(7)).isEqualTo(65504f);
        assertThat(f16.getFloat(8)).isEqualTo(1f);

        Tensor bf16 = halves(DType.BF16, (short) 0x0000, (short) 0x8000, (short) 0x0001, (short) 0x7F80, (short) 0xFF80,
                (short) 0x7FC0, (short) 0x3F80, (short) 0xC040);
        assertThat(Float.floatToRawIntBits(bf16.getFloat(0))).isEqualTo(0);
        assertThat(Float.floatToRawIntBits(bf16.getFloat(1))).isEqualTo(0x80000000);
        assertThat(bf16.getFloat(2)).isEqualTo(0x1p-133f); // subnormal
        assertThat(bf16.getFloat(3)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(bf16.getFloat(4)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(bf16.getFloat(5)).isNaN();
        assertThat(bf16.getFloat(6)).isEqualTo(1f);
        assertThat(bf16.getFloat(7)).isEqualTo(-3f);
    }

    @Test
    void floatToBfloat16RoundsToNearestEven() {
        assertThat(DType.floatToBf16(1f)).isEqualTo((short) 0x3F80);
        assertThat(DType.floatToBf16(1f + 0x1p-8f)).as("halfway, even below").isEqualTo((short) 0x3F80);
        assertThat(DType.floatToBf16(1f + 3 * 0x1p-8f)).as("halfway, even above").isEqualTo((short) 0x3F82);
        assertThat(DType.floatToBf16(1f + 0x1p-8f + 0x1p-20f)).as("just above halfway").isEqualTo((short) 0x3F81);
        assertThat(DType.floatToBf16(-0f)).isEqualTo((short) 0x8000);
        assertThat(DType.floatToBf16(Float.MAX_VALUE)).as("overflows to infinity").isEqualTo((short) 0x7F80);
        assertThat(DType.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
        assertThat(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))).isNaN();
        assertThat(DType.bf16ToFloat(DType.floatToBf16(Float.intBitsToFloat(0x7F800001)))).as("signalling NaN payload in low bits").isNaN();
    }
}
