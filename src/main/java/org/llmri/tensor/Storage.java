package org.llmri.tensor;

/** How a weight matrix's elements are stored: the kernels upcast to float32 as they stream them. */
public enum Storage {
    F32(4), F16(2), BF16(2);

    public final int bytes;

    Storage(int bytes) {
        this.bytes = bytes;
    }
}
