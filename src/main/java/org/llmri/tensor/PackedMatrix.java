package org.llmri.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A Linear layer's [out, in] weight repacked into panels of {@link #width()} outputs: panel p holds, for
 * k = 0 .. in-1, the weights of outputs p*width .. p*width+width-1 side by side (zero past the last
 * output). A panel is then a stream of whole vectors, which lets the matmul accumulate every output as
 * one FMA chain over k with no lane sums, the same way whatever the batch.
 *
 * <p>float16 weights keep two bytes each but are stored so that vector code can widen them exactly with
 * integer shifts (there is no float16 conversion in the Vector API): within a k step, int lane j of the
 * step's first int vector holds output j in its low half and output L+j in its high half, the second
 * vector outputs 2L+j and 3L+j. The float16 values are scaled by 2^10 (exact) so that none is
 * subnormal: widened by shifts, a subnormal would become a subnormal float32, whose multiply takes a
 * slow microcode path (measured: 4x slower). A matrix with inf, NaN or a weight of magnitude 64 or more
 * (which the scaling would overflow) is kept as float32 instead.
 */
public final class PackedMatrix {
    /** How the panels hold the weights. */
    enum Format {
        F32(4), BF16(2), F16_PAIRS(2);

        final int bytes;

        Format(int bytes) {
            this.bytes = bytes;
        }
    }

    private final MemorySegment data;
    private final Format format;
    private final int rows;
    private final int cols;
    private final int width;
    private final int panels;

    private PackedMatrix(MemorySegment data, Format format, int rows, int cols, int width) {
        this.data = data;
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.width = width;
        this.panels = (rows + width - 1) / width;
    }

    /** Panel width: four vectors of the machine's preferred float species (4 x 6 accumulators fit the registers). */
    public static int panelWidth() {
        return 4 * Matmul.L;
    }

    public static PackedMatrix pack(Matrix m, Arena arena) {
        return pack(java.util.List.of(m), arena);
    }

    /** Packs into memory of the arena's lifetime (in huge pages where Linux offers them). */
    public static PackedMatrix pack(java.util.List<Matrix> parts, Arena arena) {
        return pack(parts, (bytes, alignment) -> HugePages.allocate(arena, bytes));
    }

    /**
     * An allocator for many matrices that live as long as the arena: it packs them side by side in huge
     * pages, which they then share.
     */
    public static SegmentAllocator weightMemory(Arena arena) {
        return HugePages.slabs(arena);
    }

    /**
     * Packs matrices with the same number of columns stacked row-wise as one (rows of the first, then
     * the second, ...): q, k and v projections packed together are one matmul per layer instead of
     * three. Parts stored differently are packed as float32. {@code memory} must hand out zeroed
     * segments, as an Arena and {@link #weightMemory} do.
     */
    public static PackedMatrix pack(java.util.List<Matrix> parts, SegmentAllocator memory) {
        int w = panelWidth();
        int k = parts.getFirst().cols();
        int n = 0;
        for (Matrix m : parts) {
            if (m.cols() != k) throw new IllegalArgumentException("stacked matrices differ in width: " + m.cols() + " vs " + k);
            n += m.rows();
        }
        Storage storage = parts.getFirst().storage();
        boolean same = parts.stream().allMatch(m -> m.storage() == storage);
        Format format = !same ? Format.F32 : switch (storage) {
            case F32 -> Format.F32;
            case BF16 -> Format.BF16;
            case F16 -> parts.stream().allMatch(PackedMatrix::fitsPairs) ? Format.F16_PAIRS : Format.F32;
        };
        int panels = (n + w - 1) / w;
        // zeroed memory: a last panel's columns past the last output stay zero
        MemorySegment out = memory.allocate((long) panels * w * k * format.bytes, 64);
        int l = Matmul.L;
        int o = 0;
        for (Matrix m : parts) {
            MemorySegment src = m.data();
            for (int r = 0; r < m.rows(); r++, o++) {
                int p = o / w, j = o % w;
                long from = m.rowOffset(r);
                long panel = (long) p * k * w * format.bytes;
                switch (format) {
                    case F32 -> {
                        long dst = panel + (long) j * 4;
                        for (int i = 0; i < k; i++) {
                            float v = switch (m.storage()) {
                                case F32 -> src.get(F32, from + 4L * i);
                                case F16 -> Float.float16ToFloat(src.get(I16, from + 2L * i));
                                case BF16 -> Float.intBitsToFloat(src.get(I16, from + 2L * i) << 16);
                            };
                            out.set(F32, dst + (long) i * w * 4, v);
                        }
                    }
                    case BF16 -> {
                        long dst = panel + (long) j * 2;
                        for (int i = 0; i < k; i++) out.set(I16, dst + (long) i * w * 2, src.get(I16, from + 2L * i));
                    }
                    case F16_PAIRS -> {
                        // output j is lane j % L of the step's int vector j / 2L, in its low or high half
                        int quarter = j / l;
                        long dst = panel + ((long) (quarter / 2) * l + j % l) * 4 + (quarter % 2) * 2;
                        for (int i = 0; i < k; i++) out.set(I16, dst + splitStep(i, k) * w * 2, scaled(src.get(I16, from + 2L * i)));
                    }
                }
            }
        }
        return new PackedMatrix(out, format, n, k, w);
    }

    /**
     * Whether every float16 weight of m survives the shift by 2^SHIFT as a float16 (no inf or NaN, and
     * magnitudes below 2^(30 - SHIFT - 15) = 64); a matrix that does not is packed as float32.
     */
    static boolean fitsPairs(Matrix m) {
        long count = (long) m.rows() * m.cols();
        MemorySegment s = m.data();
        for (long i = 0; i < count; i++) {
            if (((s.get(I16, 2 * i) & 0x7fff) >>> 10) > 30 - SHIFT) return false;
        }
        return true;
    }

    /** A float16 weight times 2^SHIFT, as float16 (exact: fitsPairs checked the range). */
    private static short scaled(short h) {
        return Float.floatToFloat16(Math.scalb(Float.float16ToFloat(h), SHIFT));
    }

    /**
     * The float16 pairs hold each weight times 2^SHIFT: 10 lifts the smallest subnormal, 2^-24, to the
     * smallest normal, 2^-14. It is one constant for every matrix so that the kernels' unscaling
     * multiplier is a compile-time constant (a per-matrix one pushes the two-panel loop past C2's
     * inlining budget, and the Vector API then falls back to allocating code).
     */
    static final int SHIFT = 10;

    /** What widened float16 pairs are multiplied by to give the weights: 2^(112 - SHIFT). */
    static final float UNSCALE = 0x1p102f;

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int width() {
        return width;
    }

    public int panels() {
        return panels;
    }

    Format format() {
        return format;
    }

    MemorySegment data() {
        return data;
    }

    /** Byte offset of panel p's k step i. */
    long offset(int p, int i) {
        long step = format == Format.F16_PAIRS ? splitStep(i, cols) : i;
        return ((long) p * cols + step) * width * format.bytes;
    }

    /**
     * Where k step i sits within a float16-pair panel of k steps: the even steps first, then the odd.
     * Reading steps in order then draws on two streams per panel instead of one, which keeps more
     * cache-line fetches in flight (measured +3 to 9% on the one-row matmul) at no cost in arithmetic.
     */
    static long splitStep(int i, int k) {
        return (i & 1) * ((k + 1) / 2) + (i >> 1);
    }

    /** Upcasts steps [k0, k1) of panel p to float32: dst[(k - k0) * width + j]. */
    void chunkToFloats(int p, int k0, int k1, float[] dst) {
        int n = (k1 - k0) * width;
        switch (format) {
            case F32 -> MemorySegment.copy(data, F32, offset(p, k0), dst, 0, n);
            case BF16 -> Matmul.bf16ToF32(data, offset(p, k0), dst, n);
            case F16_PAIRS -> {
                // the chunk's even steps lie together, and so do its odd ones: two runs, each filling
                // every other step of dst
                for (int first = k0; first < Math.min(k1, k0 + 2); first++) {
                    int steps = (k1 - first + 1) / 2;
                    Matmul.pairsToF32(data, offset(p, first), steps, dst, (first - k0) * width, 2 * width);
                }
            }
        }
    }
}
