package org.llmri.model.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.llmri.LlmriException;

/**
 * An immutable, row-major, contiguous view over little-endian tensor data, usually a slice of a
 * memory-mapped checkpoint. The stored type is kept; readers upcast to float32 on access.
 */
public final class Tensor {
    /** Little-endian, unaligned layouts: checkpoint offsets need not be aligned to the element size. */
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final MemorySegment data;

    private Tensor(String name, DType dtype, long[] shape, long numel, MemorySegment data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.numel = numel;
        this.data = data;
    }

    /**
     * Wraps data (not copied) as a tensor. The segment must hold exactly numel × element size bytes.
     *
     * @throws LlmriException when a dimension is negative, the element count overflows, or the sizes disagree
     */
    public static Tensor of(String name, DType dtype, long[] shape, MemorySegment data) {
        long n = numelOf(shape);
        if (n < 0) {
            throw new LlmriException("tensor '" + name + "': invalid shape " + Arrays.toString(shape));
        }
        long expected = n > Long.MAX_VALUE / dtype.bytes() ? -1 : n * dtype.bytes();
        if (expected < 0 || expected != data.byteSize()) {
            throw new LlmriException("tensor '" + name + "': shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + (expected < 0 ? "too many" : Long.toString(expected)) + " bytes, data has " + data.byteSize());
        }
        return new Tensor(name, dtype, shape.clone(), n, data);
    }

    /** A float32 tensor backed by a fresh little-endian heap copy of {@code values}. */
    public static Tensor ofFloats(String name, long[] shape, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
        MemorySegment.copy(values, 0, seg, F32_LE, 0, values.length);
        return of(name, DType.F32, shape, seg);
    }

    /** Product of the dimensions, or -1 when a dimension is negative or the product overflows a long. */
    public static long numelOf(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) return -1;
            if (d != 0 && n > Long.MAX_VALUE / d) return -1;
            n *= d;
        }
        return n;
    }

    /** Same data and shape under another name (used to expose tied weights). */
    Tensor withName(String newName) {
        return new Tensor(newName, dtype, shape, numel, data);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    /** Exactly numel × element-size bytes, little-endian, row-major contiguous. */
    public MemorySegment data() {
        return data;
    }

    /** The element at a flat (row-major) index, upcast to float32 exactly. */
    public float getFloat(long flatIndex) {
        return switch (dtype) {
            case F32 -> data.get(F32_LE, flatIndex * 4);
            case F16 -> Float.float16ToFloat(data.get(I16_LE, flatIndex * 2));
            case BF16 -> DType.bf16ToFloat(data.get(I16_LE, flatIndex * 2));
        };
    }

    /** Copies n elements starting at a flat index into dst, upcast to float32. */
    public void copyToFloat(long fromIndex, float[] dst, int dstOff, int n) {
        if (fromIndex < 0 || n < 0 || fromIndex > numel - n) {
            throw new IndexOutOfBoundsException("elements [" + fromIndex + ", " + fromIndex + "+" + n + ") of " + numel);
        }
        java.util.Objects.checkFromIndexSize(dstOff, n, dst.length);
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, fromIndex * 4, dst, dstOff, n);
            case F16 -> {
                long off = fromIndex * 2;
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(data.get(I16_LE, off + 2L * i));
            }
            case BF16 -> {
                long off = fromIndex * 2;
                for (int i = 0; i < n; i++) dst[dstOff + i] = DType.bf16ToFloat(data.get(I16_LE, off + 2L * i));
            }
        }
    }

    /** All elements upcast to float32; refuses tensors a Java array cannot hold. */
    public float[] toFloatArray() {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new LlmriException("tensor '" + name + "' has " + numel + " elements, too many for one float array");
        }
        float[] out = new float[(int) numel];
        copyToFloat(0, out, 0, out.length);
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
