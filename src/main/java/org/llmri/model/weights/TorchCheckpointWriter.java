package org.llmri.model.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.llmri.LlmriException;

/**
 * Writes a state dict as torch.save does: a zip with {@code archive/data.pkl} (a protocol-2 pickle of an
 * OrderedDict of {@code _rebuild_tensor_v2} calls), one stored entry {@code archive/data/<n>} per tensor with
 * its data 64-byte aligned, {@code archive/byteorder} and {@code archive/version}. Same input, same bytes.
 */
public final class TorchCheckpointWriter {
    private static final String ARCHIVE = "archive/";
    private static final int ALIGNMENT = 64;
    /** DOS date 1980-01-01, time 00:00: a fixed timestamp keeps output byte-identical. */
    private static final int DOS_DATE = (0 << 9) | (1 << 5) | 1;

    private TorchCheckpointWriter() {}

    public static void write(Path file, List<TensorSpec> specs) {
        byte[] pickle = pickle(specs);
        org.llmri.io.AtomicFile.writeWith(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ZipWriter zip = new ZipWriter(file, ch);
                zip.add(ARCHIVE + "data.pkl", pickle.length, out -> out.write(ByteBuffer.wrap(pickle)));
                byte[] order = "little".getBytes(StandardCharsets.US_ASCII);
                zip.add(ARCHIVE + "byteorder", order.length, out -> out.write(ByteBuffer.wrap(order)));
                for (int i = 0; i < specs.size(); i++) {
                    TensorSpec s = specs.get(i);
                    zip.add(ARCHIVE + "data/" + i, s.byteSize(), s.body());
                }
                byte[] version = "3\n".getBytes(StandardCharsets.US_ASCII);
                zip.add(ARCHIVE + "version", version.length, out -> out.write(ByteBuffer.wrap(version)));
                zip.finish();
            }
        });
    }

    /** The state-dict pickle: OrderedDict((key, _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())), ...). */
    static byte[] pickle(List<TensorSpec> specs) {
        Pickler p = new Pickler();
        p.proto(2);
        p.global("collections", "OrderedDict");
        p.tuple(List.of());
        p.op('R');
        // SETITEMS in batches of 1000 pairs, as Python's pickler batches them
        for (int start = 0; start < specs.size(); start += 1000) {
            p.op('(');
            for (int i = start; i < Math.min(specs.size(), start + 1000); i++) {
                TensorSpec s = specs.get(i);
                p.string(s.name());
                p.global("torch._utils", "_rebuild_tensor_v2");
                p.op('(');
                p.op('(');
                p.string("storage");
                p.global("torch", storageType(s.dtype()));
                p.string(Integer.toString(i));
                p.string("cpu");
                p.integer(s.numel());
                p.op('t');
                p.op('Q');
                p.integer(0);
                p.longs(s.shape());
                p.longs(contiguousStride(s.shape()));
                p.op(0x89);
                p.global("collections", "OrderedDict");
                p.tuple(List.of());
                p.op('R');
                p.op('t');
                p.op('R');
            }
            p.op('u');
        }
        p.op('.');
        return p.bytes();
    }

    static String storageType(DType d) {
        return switch (d) {
            case F32 -> "FloatStorage";
            case F16 -> "HalfStorage";
            case BF16 -> "BFloat16Storage";
        };
    }

    static long[] contiguousStride(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return stride;
    }

    /** The handful of pickle opcodes a state dict needs. */
    private static final class Pickler {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void op(int code) {
            out.write(code);
        }

        void proto(int v) {
            op(0x80);
            op(v);
        }

        void global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le32(b.length);
            out.writeBytes(b);
        }

        void integer(long v) {
            if (v >= 0 && v < 256) {
                op('K');
                op((int) v);
            } else if (v >= 0 && v < 65536) {
                op('M');
                op((int) (v & 0xFF));
                op((int) (v >>> 8));
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le32((int) v);
            } else {
                // LONG1: minimal little-endian two's complement
                byte[] b = new byte[8];
                int n = 0;
                long x = v;
                do {
                    b[n++] = (byte) x;
                    x >>= 8;
                } while (!((x == 0 && (b[n - 1] & 0x80) == 0) || (x == -1 && (b[n - 1] & 0x80) != 0)));
                op(0x8a);
                op(n);
                out.write(b, 0, n);
            }
        }

        void longs(long[] values) {
            List<Long> boxed = new ArrayList<>();
            for (long v : values) boxed.add(v);
            tuple(boxed);
        }

        void tuple(List<Long> items) {
            if (items.isEmpty()) {
                op(')');
                return;
            }
            if (items.size() > 3) op('(');
            for (long v : items) integer(v);
            op(switch (items.size()) {
                case 1 -> 0x85;
                case 2 -> 0x86;
                case 3 -> 0x87;
                default -> 't';
            });
        }

        private void le32(int v) {
            op(v & 0xFF);
            op((v >>> 8) & 0xFF);
            op((v >>> 16) & 0xFF);
            op((v >>> 24) & 0xFF);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A minimal zip writer: stored entries, data aligned to 64 bytes through the local header's extra field. */
    private static final class ZipWriter {
        private record Written(String name, long crc, long size, long offset) {}

        private final Path target;
        private final FileChannel ch;
        private final List<Written> written = new ArrayList<>();

        ZipWriter(Path target, FileChannel ch) {
            this.target = target;
            this.ch = ch;
        }

        void add(String name, long size, TensorSpec.Body body) throws IOException {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            long offset = ch.position();
            long start = offset + 30 + nameBytes.length + 4;
            int pad = (int) ((ALIGNMENT - start % ALIGNMENT) % ALIGNMENT);
            requireSmall(offset + 30 + nameBytes.length + 4 + pad + size);
            ByteBuffer h = le(30 + nameBytes.length + 4 + pad);
            h.putInt(ZipArchive.LOCAL_HEADER_SIG).putShort((short) 20).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) DOS_DATE).putInt(0) // CRC patched below
                    .putInt((int) size).putInt((int) size).putShort((short) nameBytes.length).putShort((short) (4 + pad))
                    .put(nameBytes).putShort((short) 0x4246).putShort((short) pad); // "FB" padding field, as PyTorch writes
            for (int i = 0; i < pad; i++) h.put((byte) 'Z');
            writeFully(h.flip());
            CRC32 crc = new CRC32();
            long before = ch.position();
            body.writeTo(new WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) throws IOException {
                    ByteBuffer view = src.duplicate();
                    int n = ch.write(src);
                    crc.update(view.limit(view.position() + n));
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return ch.isOpen();
                }

                @Override
                public void close() {}
            });
            if (ch.position() - before != size) {
                throw new IllegalStateException(name + ": wrote " + (ch.position() - before) + " bytes, expected " + size);
            }
            ByteBuffer c = le(4).putInt((int) crc.getValue()).flip();
            while (c.hasRemaining()) ch.write(c, offset + 14 + c.position());
            written.add(new Written(name, crc.getValue(), size, offset));
        }

        void finish() throws IOException {
            long cdStart = ch.position();
            for (Written w : written) {
                byte[] nameBytes = w.name().getBytes(StandardCharsets.UTF_8);
                ByteBuffer c = le(46 + nameBytes.length);
                c.putInt(ZipArchive.CENTRAL_HEADER_SIG).putShort((short) 20).putShort((short) 20).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putShort((short) DOS_DATE).putInt((int) w.crc())
                        .putInt((int) w.size()).putInt((int) w.size()).putShort((short) nameBytes.length)
                        .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                        .putInt((int) w.offset()).put(nameBytes);
                writeFully(c.flip());
            }
            long cdSize = ch.position() - cdStart;
            requireSmall(ch.position());
            if (written.size() >= 0xFFFF) throw tooBig();
            ByteBuffer e = le(22);
            e.putInt(ZipArchive.END_SIG).putShort((short) 0).putShort((short) 0).putShort((short) written.size())
                    .putShort((short) written.size()).putInt((int) cdSize).putInt((int) cdStart).putShort((short) 0);
            writeFully(e.flip());
        }

        private void requireSmall(long end) {
            if (end >= 0xFFFFFFFFL) throw tooBig();
        }

        private LlmriException tooBig() {
            return new LlmriException(target + ": a pytorch_model.bin this large needs ZIP64, which llmri does not write;"
                    + " use the safetensors format");
        }

        private void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) ch.write(b);
        }

        private static ByteBuffer le(int n) {
            return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
