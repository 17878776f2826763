package org.llmri.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A row-major [rows, cols] weight matrix kept in its stored precision (usually a memory-mapped file
 * region, little-endian). A Linear layer's weight is [out, in], so row o holds output o's weights.
 */
public record Matrix(MemorySegment data, Storage storage, int rows, int cols) {
    public Matrix {
        if (data.byteSize() != (long) rows * cols * storage.bytes) {
            throw new IllegalArgumentException("matrix data is " + data.byteSize() + " bytes, expected "
                    + (long) rows * cols * storage.bytes + " for " + rows + "x" + cols + " " + storage);
        }
    }

    public long rowOffset(int row) {
        return (long) row * cols * storage.bytes;
    }
}
