package org.llmri.model.weights;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Protobuf wire format for tests: builds the few ONNX messages the reader understands, byte by byte. */
public final class OnnxWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static OnnxWriter message() {
        return new OnnxWriter();
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    public OnnxWriter varint(int field, long v) {
        key(field, 0);
        raw(v);
        return this;
    }

    public OnnxWriter bytes(int field, byte[] b) {
        key(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    public OnnxWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public OnnxWriter message(int field, OnnxWriter m) {
        return bytes(field, m.bytes());
    }

    private void key(int field, int wire) {
        raw(((long) field << 3) | wire);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A ModelProto around a graph. */
    public static byte[] model(OnnxWriter graph) {
        return message().varint(1, 8).message(7, graph).bytes();
    }

    public static OnnxWriter node(String op, List<String> inputs, List<String> outputs) {
        OnnxWriter n = message();
        for (String i : inputs) n.string(1, i);
        for (String o : outputs) n.string(2, o);
        n.string(3, op + "_" + outputs.getFirst());
        n.string(4, op);
        return n;
    }

    /** A float32 initializer with raw_data. */
    public static OnnxWriter floatTensor(String name, long[] dims, float[] values) {
        OnnxWriter t = message();
        for (long d : dims) t.varint(1, d);
        t.varint(2, 1);
        t.string(8, name);
        t.bytes(9, littleEndian(values));
        return t;
    }

    /** A float32 initializer whose data lie in an external file. */
    public static OnnxWriter externalTensor(String name, long[] dims, String location, long offset, long length) {
        OnnxWriter t = message();
        for (long d : dims) t.varint(1, d);
        t.varint(2, 1);
        t.string(8, name);
        t.message(13, message().string(1, "location").string(2, location));
        t.message(13, message().string(1, "offset").string(2, Long.toString(offset)));
        t.message(13, message().string(1, "length").string(2, Long.toString(length)));
        t.varint(14, 1);
        return t;
    }

    public static OnnxWriter valueInfo(String name) {
        return message().string(1, name);
    }

    public static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }
}
