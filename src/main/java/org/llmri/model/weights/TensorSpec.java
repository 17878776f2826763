package org.llmri.model.weights;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** A tensor to be written: its name, type and shape, and a body that streams its little-endian bytes. */
public record TensorSpec(String name, DType dtype, long[] shape, Body body) {
    /** Streams exactly {@link #byteSize()} bytes to the channel. */
    public interface Body {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    public long numel() {
        return Tensor.numelOf(shape);
    }

    public long byteSize() {
        return Math.multiplyExact(numel(), dtype.bytes());
    }

    /** A spec whose body is an existing tensor's data. */
    public static TensorSpec of(Tensor t) {
        return new TensorSpec(t.name(), t.dtype(), t.shape(), out -> writeSegment(t.data(), out));
    }

    static void writeSegment(MemorySegment seg, WritableByteChannel out) throws IOException {
        final long chunk = 1 << 20;
        for (long off = 0; off < seg.byteSize(); off += chunk) {
            ByteBuffer buf = seg.asSlice(off, Math.min(chunk, seg.byteSize() - off)).asByteBuffer();
            while (buf.hasRemaining()) out.write(buf);
        }
    }
}
