package org.llmri.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A Linear layer's [out, in] weight repacked, in its stored precision, into panels of {@link #width()}
 * outputs: panel p holds, for k = 0 .. in-1, the weights of outputs p*width .. p*width+width-1 side by
 * side (zero past the last output). A panel is then a stream of whole vectors, which lets the matmul
 * accumulate every output as one FMA chain over k with no lane sums, the same way whatever the batch.
 */
public final class PackedMatrix {
    private final MemorySegment data;
    private final Storage storage;
    private final int rows;
    private final int cols;
    private final int width;
    private final int panels;

    private PackedMatrix(MemorySegment data, Storage storage, int rows, int cols, int width) {
        this.data = data;
        this.storage = storage;
        this.rows = rows;
        this.cols = cols;
        this.width = width;
        this.panels = (rows + width - 1) / width;
    }

    /** Panel width: four vectors of the machine's preferred float species (4 x 6 accumulators fit the registers). */
    public static int panelWidth() {
        return 4 * Kernels.L;
    }

    public static PackedMatrix pack(Matrix m, Arena arena) {
        int w = panelWidth();
        int n = m.rows(), k = m.cols();
        int panels = (n + w - 1) / w;
        int b = m.storage().bytes;
        MemorySegment out = arena.allocate((long) panels * w * k * b, 64);
        MemorySegment src = m.data();
        for (int o = 0; o < n; o++) {
            int p = o / w, j = o % w;
            long dst = ((long) p * k * w + j) * b;
            long from = m.rowOffset(o);
            // one source row, read in order, lands every w-th element of its panel
            switch (m.storage()) {
                case F32 -> {
                    for (int i = 0; i < k; i++) out.set(F32, dst + (long) i * w * 4, src.get(F32, from + 4L * i));
                }
                case F16, BF16 -> {
                    for (int i = 0; i < k; i++) out.set(I16, dst + (long) i * w * 2, src.get(I16, from + 2L * i));
                }
            }
        }
        return new PackedMatrix(out, m.storage(), n, k, w);
    }

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

    Storage storage() {
        return storage;
    }

    /** Upcasts steps [k0, k1) of panel p to float32: dst[(k - k0) * width + j]. */
    void chunkToFloats(int p, int k0, int k1, float[] dst) {
        int n = (k1 - k0) * width;
        long off = ((long) p * cols + k0) * width * storage.bytes;
        switch (storage) {
            case F32 -> MemorySegment.copy(data, F32, off, dst, 0, n);
            case F16 -> Kernels.f16ToF32(data, off, dst, n);
            case BF16 -> Kernels.bf16ToF32(data, off, dst, n);
        }
    }
}
