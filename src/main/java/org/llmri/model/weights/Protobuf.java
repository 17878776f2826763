package org.llmri.model.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked reader of protobuf wire format over a region of a (memory-mapped) segment: it walks
 * a message's fields one at a time, and a length-delimited field becomes a view of the same memory, so
 * a 90 MB tensor is never copied.
 *
 * <p>Hand-written rather than protobuf-java: ONNX needs five wire-format rules and a handful of field
 * numbers, so the reader is under 200 lines with no generated code and no dependency (protobuf-java would
 * need the ONNX classes generated from onnx.proto, or the same field walk over its CodedInputStream).
 * Every length read in the file is checked against the bytes that remain before anything is sliced or
 * allocated (and only names, at most 1 MB each, are ever copied), so a malformed file is refused
 * rather than trusted.
 *
 * <p>Errors are {@link Malformed} exceptions carrying the byte offset; the caller adds the file name.
 */
final class Protobuf {
    static final int VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

    /** A wire-format error at a byte offset of the file. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message);
        }
    }

    private final MemorySegment data;
    private long pos;
    private final long end;

    // the field just read
    private int field;
    private int wireType;
    private long varint;
    private long valueStart;
    private long valueLength;

    /** A reader of the message occupying [start, end) of data. */
    Protobuf(MemorySegment data, long start, long end) {
        if (start < 0 || end > data.byteSize() || start > end) {
            throw new Malformed("message [" + start + ", " + end + ") lies outside the " + data.byteSize() + " bytes");
        }
        this.data = data;
        this.pos = start;
        this.end = end;
    }

    /** A reader of the length-delimited field just read, as a message. */
    Protobuf message() {
        requireWire(LEN);
        return new Protobuf(data, valueStart, valueStart + valueLength);
    }

    /** Advances to the next field; false at the message's end. */
    boolean next() {
        if (pos >= end) return false;
        long keyAt = pos;
        long key = readVarint();
        if (key >>> 32 != 0 || (key >>> 3) == 0) throw new Malformed("bad field key " + key + " at byte " + keyAt);
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        switch (wireType) {
            case VARINT -> varint = readVarint();
            case I64 -> fixed(8);
            case I32 -> fixed(4);
            case LEN -> {
                long lengthAt = pos;
                long n = readVarint();
                if (n < 0 || n > end - pos) {
                    throw new Malformed("field " + field + " at byte " + keyAt + " claims " + Long.toUnsignedString(n)
                            + " bytes, but only " + (end - pos) + " remain in its message (from byte " + lengthAt + ")");
                }
                valueStart = pos;
                valueLength = n;
                pos += n;
            }
            default -> throw new Malformed("unsupported wire type " + wireType + " (field " + field + ") at byte " + keyAt);
        }
        return true;
    }

    private void fixed(int n) {
        if (end - pos < n) throw new Malformed("field " + field + " is cut off at byte " + pos);
        valueStart = pos;
        valueLength = n;
        pos += n;
    }

    private long readVarint() {
        long start = pos;
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) throw new Malformed("varint at byte " + start + " runs past the end of its message");
            byte b = data.get(ValueLayout.JAVA_BYTE, pos++);
            if (shift == 63 && (b & 0x7e) != 0) throw new Malformed("bad varint at byte " + start + " (more than 64 bits)");
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw new Malformed("bad varint at byte " + start + " (longer than 10 bytes)");
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() {
        requireWire(VARINT);
        return varint;
    }

    /** A non-negative varint that fits an int (an enum or a count). */
    int smallInt() {
        long v = varint();
        if (v < 0 || v > Integer.MAX_VALUE) throw new Malformed("field " + field + ": value " + v + " out of range before byte " + pos);
        return (int) v;
    }

    /** The length-delimited field's bytes, as a view. */
    MemorySegment bytes() {
        requireWire(LEN);
        return data.asSlice(valueStart, valueLength);
    }

    /** Where the length-delimited field's bytes start in the underlying segment. */
    long valueStart() {
        return valueStart;
    }

    long valueLength() {
        return valueLength;
    }

    String string() {
        requireWire(LEN);
        if (valueLength > 1 << 20) throw new Malformed("field " + field + ": a " + valueLength + "-byte string at byte " + valueStart);
        byte[] b = data.asSlice(valueStart, valueLength).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("field " + field + ": a string that is not UTF-8 at byte " + valueStart);
        }
    }

    /** A repeated int64 field's values so far plus this one: packed (LEN) or one varint. */
    void int64s(java.util.function.LongConsumer out) {
        if (wireType == VARINT) {
            out.accept(varint);
            return;
        }
        Protobuf packed = new Protobuf(data, valueStart, valueStart + valueLength);
        while (packed.pos < packed.end) out.accept(packed.readVarint());
    }

    private void requireWire(int expected) {
        if (wireType != expected) {
            throw new Malformed("field " + field + " has wire type " + wireType + ", expected " + expected + " (before byte " + pos + ")");
        }
    }
}
