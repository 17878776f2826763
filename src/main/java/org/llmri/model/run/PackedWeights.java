package org.llmri.model.run;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Matrix;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Storage;

/**
 * The off-heap memory an architecture's weights are packed into for the shared GEMM, and the few ways
 * of getting them there: Linear weights ([out, in]), Conv1D weights ([in, out], transposed once while
 * packing), and embedding tables kept resident. Each packed tensor's mapped pages are given back, so
 * resident memory holds one copy of the weights. Closing frees everything.
 */
public final class PackedWeights implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final SegmentAllocator memory = PackedMatrix.weightMemory(arena);

    /** Linear weights [out, in], stacked along out (e.g. q, k and v as one matrix: one matmul, not three). */
    public PackedMatrix linear(Tensor... parts) {
        List<Matrix> matrices = new ArrayList<>();
        for (Tensor t : parts) matrices.add(matrix(t));
        PackedMatrix p = PackedMatrix.pack(matrices, memory);
        for (Tensor t : parts) release(t);
        return p;
    }

    /** A Conv1D weight stored [in, out] (GPT-2), packed as the [out, in] matrix it multiplies by. */
    public PackedMatrix conv1d(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException(t.name() + " is not a matrix");
        int in = t.dim(0), out = t.dim(1), b = t.dtype().bytes();
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment src = t.data();
            MemorySegment dst = temp.allocate((long) in * out * b, 64);
            // element (i, o) moves to (o, i), through a heap array (one bulk copy each way)
            if (b == 4) {
                int[] a = src.toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED), tr = new int[a.length];
                for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) tr[o * in + i] = a[i * out + o];
                MemorySegment.copy(tr, 0, dst, java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, tr.length);
            } else {
                short[] a = src.toArray(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED), tr = new short[a.length];
                for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) tr[o * in + i] = a[i * out + o];
                MemorySegment.copy(tr, 0, dst, java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 0, tr.length);
            }
            PackedMatrix p = PackedMatrix.pack(List.of(new Matrix(dst, storage(t), out, in)), memory);
            release(t);
            return p;
        }
    }

    /**
     * The tensor copied into the weight memory, its mapped original's pages given back: embedding rows
     * are read at random every step, and from the mapping each row's first read took a page fault.
     */
    public Tensor resident(Tensor t) {
        MemorySegment copy = memory.allocate(t.data().byteSize(), 64);
        MemorySegment.copy(t.data(), 0, copy, 0, t.data().byteSize());
        release(t);
        return Tensor.of(t.name(), t.dtype(), t.shape(), copy);
    }

    /** A vector as float32, or null for an absent (null) tensor. */
    public static float[] vec(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    private static Matrix matrix(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException(t.name() + " is not a matrix");
        return new Matrix(t.data(), storage(t), t.dim(0), t.dim(1));
    }

    private static Storage storage(Tensor t) {
        return switch (t.dtype()) {
            case F32 -> Storage.F32;
            case F16 -> Storage.F16;
            case BF16 -> Storage.BF16;
        };
    }

    private static void release(Tensor t) {
        if (t.data().isMapped()) t.data().unload();
    }

    @Override
    public void close() {
        arena.close();
    }
}
