package org.llmri.io;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.llmri.LlmriException;

/**
 * NumPy's .npy format (version 1.0/2.0 read, 1.0 written when the header fits): little-endian
 * float32, float16, float64 and int32/int64 arrays in C order. Reads are memory-mapped.
 */
public final class Npy {
    private Npy() {}

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Element types llmri reads and writes, by their NumPy descr. */
    public enum Dtype {
        F32("<f4", 4), F16("<f2", 2), F64("<f8", 8), I32("<i4", 4), I64("<i8", 8);

        public final String descr;
        public final int bytes;

        Dtype(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }

        static Dtype of(Path file, String descr) {
            for (Dtype d : values()) if (d.descr.equals(descr) || ("|" + d.descr.substring(1)).equals(descr)) return d;
            if (descr.equals("=f4")) return F32;
            if (descr.equals("=f8")) return F64;
            throw new LlmriException(file + ": unsupported .npy dtype '" + descr + "' (llmri reads little-endian f4, f2, f8, i4, i8)");
        }
    }

    /** What a .npy header says: the element type, the shape and where the data starts. */
    public record Header(Dtype dtype, long[] shape, long dataOffset) {
        public long count() {
            long n = 1;
            for (long s : shape) n = Math.multiplyExact(n, s);
            return n;
        }

        public long dataBytes() {
            return Math.multiplyExact(count(), dtype.bytes);
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(pre, 0);
        if (pre.position() < 10 || !Arrays.equals(Arrays.copyOf(pre.array(), 6), MAGIC)) {
            throw new LlmriException(file + ": not a .npy file (bad magic)");
        }
        int major = pre.get(6) & 0xff;
        long headerLen;
        int preLen;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xffff;
            preLen = 10;
        } else if (major == 2 || major == 3) {
            if (pre.position() < 12) throw new LlmriException(file + ": truncated .npy header");
            headerLen = pre.getInt(8) & 0xffffffffL;
            preLen = 12;
        } else {
            throw new LlmriException(file + ": unsupported .npy version " + major);
        }
        if (preLen + headerLen > size || headerLen > 1 << 20) {
            throw new LlmriException(file + ": .npy header longer than the file (truncated?)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        ch.read(hb, preLen);
        String h = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(h), f = FORTRAN.matcher(h), s = SHAPE.matcher(h);
        if (!d.find() || !f.find() || !s.find()) throw new LlmriException(file + ": malformed .npy header: " + h.strip());
        if (f.group(1).equals("True")) {
            throw new LlmriException(file + ": Fortran-ordered .npy is not supported; save with np.ascontiguousarray");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            if (p.endsWith("L")) p = p.substring(0, p.length() - 1);
            try {
                dims.add(Long.parseLong(p));
            } catch (NumberFormatException e) {
                throw new LlmriException(file + ": malformed .npy shape (" + s.group(1) + ")");
            }
        }
        Header header = new Header(Dtype.of(file, d.group(1)), dims.stream().mapToLong(Long::longValue).toArray(), preLen + headerLen);
        long need;
        try {
            need = header.dataOffset() + header.dataBytes();
        } catch (ArithmeticException e) {
            throw new LlmriException(file + ": .npy shape too large");
        }
        if (need > size) {
            throw new LlmriException(file + ": .npy data truncated (shape " + Arrays.toString(header.shape())
                    + " needs " + need + " bytes, file has " + size + ")");
        }
        return header;
    }

    /** The header bytes for an array of this type and shape (version 1.0, padded to 64 bytes). */
    public static byte[] headerBytes(Dtype dtype, long... shape) {
        StringBuilder sh = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sh.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) sh.append(i < shape.length - 1 ? ", " : ",");
        }
        sh.append(')');
        String dict = "{'descr': '" + dtype.descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String h = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    /** A memory-mapped .npy array; values are read through {@link #getFloat} / {@link #getDouble}. */
    public static final class Mapped implements AutoCloseable {
        private final Path file;
        private final Header header;
        private final Arena arena;
        private final MemorySegment data;

        private Mapped(Path file, Header header, Arena arena, MemorySegment data) {
            this.file = file;
            this.header = header;
            this.arena = arena;
            this.data = data;
        }

        public Path file() {
            return file;
        }

        public Header header() {
            return header;
        }

        public long[] shape() {
            return header.shape().clone();
        }

        public MemorySegment data() {
            return data;
        }

        public float getFloat(long i) {
            return switch (header.dtype()) {
                case F32 -> data.getAtIndex(F32, i);
                case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
                case F64 -> (float) data.getAtIndex(F64, i);
                case I32 -> data.getAtIndex(I32, i);
                case I64 -> data.getAtIndex(I64, i);
            };
        }

        public double getDouble(long i) {
            return header.dtype() == Dtype.F64 ? data.getAtIndex(F64, i) : getFloat(i);
        }

        /** Copies {@code n} consecutive values starting at flat index {@code from}, as doubles. */
        public void copyTo(long from, double[] dst, int off, int n) {
            switch (header.dtype()) {
                case F64 -> MemorySegment.copy(data, F64, from * 8, dst, off, n);
                case F32 -> {
                    for (int i = 0; i < n; i++) dst[off + i] = data.getAtIndex(F32, from + i);
                }
                default -> {
                    for (int i = 0; i < n; i++) dst[off + i] = getFloat(from + i);
                }
            }
        }

        /** Copies {@code n} consecutive values starting at flat index {@code from}, as floats. */
        public void copyTo(long from, float[] dst, int off, int n) {
            if (header.dtype() == Dtype.F32) {
                MemorySegment.copy(data, F32, from * 4, dst, off, n);
            } else {
                for (int i = 0; i < n; i++) dst[off + i] = getFloat(from + i);
            }
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    public static Mapped map(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            Arena arena = Arena.ofShared();
            MemorySegment seg = h.dataBytes() == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, h.dataOffset(), h.dataBytes(), arena);
            return new Mapped(file, h, arena, seg);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LlmriException(file + ": no such file");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    public static float[] readFloats(Path file) {
        try (Mapped m = map(file)) {
            long n = m.header().count();
            if (n > Integer.MAX_VALUE - 8) throw new LlmriException(file + ": too large to load whole; use Npy.map");
            float[] out = new float[(int) n];
            m.copyTo(0, out, 0, out.length);
            return out;
        }
    }

    public static double[] readDoubles(Path file) {
        try (Mapped m = map(file)) {
            long n = m.header().count();
            if (n > Integer.MAX_VALUE - 8) throw new LlmriException(file + ": too large to load whole; use Npy.map");
            double[] out = new double[(int) n];
            m.copyTo(0, out, 0, out.length);
            return out;
        }
    }

    public static void write(Path file, float[] data, long... shape) {
        checkCount(file, data.length, shape);
        AtomicFile.write(file, out -> {
            out.write(headerBytes(Dtype.F32, shape));
            writeFloats(out, data, 0, data.length);
        });
    }

    public static void write(Path file, double[] data, long... shape) {
        checkCount(file, data.length, shape);
        AtomicFile.write(file, out -> {
            out.write(headerBytes(Dtype.F64, shape));
            ByteBuffer b = ByteBuffer.allocate(8 * 4096).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < data.length; i += 4096) {
                b.clear();
                int n = Math.min(4096, data.length - i);
                for (int j = 0; j < n; j++) b.putDouble(data[i + j]);
                out.write(b.array(), 0, n * 8);
            }
        });
    }

    public static void write(Path file, int[] data, long... shape) {
        checkCount(file, data.length, shape);
        AtomicFile.write(file, out -> {
            out.write(headerBytes(Dtype.I32, shape));
            ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : data) b.putInt(v);
            out.write(b.array());
        });
    }

    static void writeFloats(OutputStream out, float[] data, int from, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * 8192).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i += 8192) {
            b.clear();
            int m = Math.min(8192, n - i);
            b.asFloatBuffer().put(data, from + i, m);
            out.write(b.array(), 0, m * 4);
        }
    }

    private static void checkCount(Path file, long n, long... shape) {
        long c = 1;
        for (long s : shape) c *= s;
        if (c != n) throw new IllegalArgumentException(file + ": " + n + " values for shape " + Arrays.toString(shape));
    }

    static boolean exists(Path p) {
        return Files.isRegularFile(p);
    }
}
