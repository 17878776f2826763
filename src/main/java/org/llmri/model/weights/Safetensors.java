package org.llmri.model.weights;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.llmri.LlmriException;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw data. Reading memory-maps the file and slices it; nothing is copied.
 */
public final class Safetensors {
    /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Safetensors() {}

    /**
     * Maps a safetensors file into {@code arena} and returns its tensors by stored name (sorted).
     * Every header field is validated against the file before any tensor is made.
     */
    public static SortedMap<String, Tensor> map(Path file, Arena arena) {
        MemorySegment whole;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new LlmriException(file + ": too short for a safetensors file (" + size + " bytes)");
            whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new LlmriException(file + ": file not found");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file, whole);
    }

    static SortedMap<String, Tensor> parse(Path file, MemorySegment whole) {
        long size = whole.byteSize();
        long headerLen = whole.get(ValueLayoutsLE.I64, 0);
        if (headerLen < 0 || headerLen > size - 8) {
            throw new LlmriException(file + ": header length " + Long.toUnsignedString(headerLen)
                    + " exceeds the file size (" + size + " bytes)");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new LlmriException(file + ": header length " + headerLen + " is above the 100 MB safetensors limit");
        }
        byte[] headerBytes = whole.asSlice(8, headerLen).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(headerBytes);
        } catch (JsonProcessingException e) {
            throw new LlmriException(file + ": header is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
        } catch (IOException e) {
            throw new LlmriException(file + ": header is not valid JSON (" + e.getMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw new LlmriException(file + ": header is not a JSON object");
        }
        MemorySegment data = whole.asSlice(8 + headerLen);
        long dataSize = data.byteSize();
        SortedMap<String, Tensor> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode info = e.getValue();
            String where = file + ": tensor '" + name + "'";
            if (!info.isObject()) throw new LlmriException(where + ": header entry is not an object");
            JsonNode dt = info.get("dtype");
            if (dt == null || !dt.isTextual()) throw new LlmriException(where + ": missing dtype");
            // a boolean or byte tensor is a buffer (GPT-2's attn.bias causal mask), never a weight: left out
            if (dt.textValue().equals("BOOL") || dt.textValue().equals("U8")) continue;
            DType dtype;
            try {
                dtype = DType.fromSafetensors(dt.textValue());
            } catch (LlmriException ex) {
                throw new LlmriException(where + ": " + ex.getMessage());
            }
            long[] shape = longs(info.get("shape"), -1, where, "shape");
            long[] offsets = longs(info.get("data_offsets"), 2, where, "data_offsets");
            long begin = offsets[0], end = offsets[1];
            if (end < begin) {
                throw new LlmriException(where + ": data_offsets " + Arrays.toString(offsets) + " end before they begin");
            }
            if (end > dataSize) {
                throw new LlmriException(where + ": data_offsets " + Arrays.toString(offsets)
                        + " lie outside the data (" + dataSize + " bytes)");
            }
            long numel = Tensor.numelOf(shape);
            if (numel < 0 || numel > Long.MAX_VALUE / dtype.bytes() || numel * dtype.bytes() != end - begin) {
                throw new LlmriException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                        + (numel < 0 || numel > Long.MAX_VALUE / dtype.bytes() ? "more than 2^63" : numel * dtype.bytes())
                        + " bytes but data_offsets span " + (end - begin));
            }
            out.put(name, Tensor.of(name, dtype, shape, data.asSlice(begin, end - begin)));
        }
        return out;
    }

    private static long[] longs(JsonNode n, int expectedLength, String where, String field) {
        if (n == null || !n.isArray() || (expectedLength >= 0 && n.size() != expectedLength)) {
            throw new LlmriException(where + ": " + field + " must be an array"
                    + (expectedLength >= 0 ? " of " + expectedLength + " integers" : " of integers"));
        }
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new LlmriException(where + ": " + field + " holds " + v + ", not a non-negative integer");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Writes tensors (sorted by name) to a safetensors file, atomically. */
    public static void write(Path file, Collection<Tensor> tensors) {
        write(file, tensors.stream().map(TensorSpec::of).toList(), Map.of("format", "pt"));
    }

    /** Writes specs sorted by name, the header padded with spaces to a multiple of 8 bytes as the reference does. */
    public static void write(Path file, List<TensorSpec> specs, Map<String, String> metadata) {
        List<TensorSpec> sorted = new ArrayList<>(specs);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new IllegalArgumentException("duplicate tensor name " + sorted.get(i).name());
            }
        }
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec s : sorted) {
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.dtype().safetensorsName());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            long end = offset + s.byteSize();
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        org.llmri.io.AtomicFile.writeWith(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (head.hasRemaining()) ch.write(head);
                for (TensorSpec s : sorted) {
                    long before = ch.position();
                    s.body().writeTo(ch);
                    if (ch.position() - before != s.byteSize()) {
                        throw new IllegalStateException("tensor " + s.name() + " wrote " + (ch.position() - before)
                                + " bytes, expected " + s.byteSize());
                    }
                }
            }
        });
    }
}
