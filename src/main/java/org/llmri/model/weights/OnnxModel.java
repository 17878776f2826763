package org.llmri.model.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.Tensor;

/**
 * What llmri reads of an ONNX model ({@code onnx.ModelProto}): the main graph's initializers (as views of
 * the memory-mapped file, or of its external-data files), its nodes (op type, inputs, outputs; attributes
 * are not read) and the names of its inputs and outputs. Nothing in the file is executed.
 *
 * <p>Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto node = 1, initializer = 5,
 * input = 11, output = 12; NodeProto input = 1, output = 2, name = 3, op_type = 4; TensorProto dims = 1,
 * data_type = 2, segment = 3, float_data = 4, name = 8, raw_data = 9, external_data = 13,
 * data_location = 14; StringStringEntryProto key = 1, value = 2; ValueInfoProto name = 1.
 *
 * <p>A malformed file (a bad varint, a length beyond its message, data outside a file, a tensor whose
 * bytes disagree with its shape, an external file outside the model's folder) is refused with one line
 * naming the file; no length is trusted before it is checked against the bytes that remain.
 */
public final class OnnxModel implements AutoCloseable {
    /** One graph node: what it computes from what. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {
        public Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    /**
     * One initializer. {@code data} holds its little-endian bytes (a view, not a copy), or is null for
     * a non-float tensor stored in typed fields (llmri reads none of those).
     */
    public record Initializer(String name, int dataType, long[] dims, MemorySegment data) {
        /** The float tensor (float32, float16 or bfloat16) over the same memory. */
        public Optional<Tensor> tensor() {
            DType t = switch (dataType) {
                case FLOAT -> DType.F32;
                case FLOAT16 -> DType.F16;
                case BFLOAT16 -> DType.BF16;
                default -> null;
            };
            return t == null || data == null ? Optional.empty() : Optional.of(Tensor.of(name, t, dims, data));
        }
    }

    static final int FLOAT = 1, FLOAT16 = 10, BFLOAT16 = 16;

    private final Path file;
    private final Arena arena;
    private final Map<String, Initializer> initializers;
    private final List<Node> nodes;
    private final List<String> inputs;
    private final List<String> outputs;
    private final List<Path> externalFiles;

    private OnnxModel(Path file, Arena arena, Map<String, Initializer> initializers, List<Node> nodes,
                      List<String> inputs, List<String> outputs, List<Path> externalFiles) {
        this.externalFiles = externalFiles;
        this.file = file;
        this.arena = arena;
        this.initializers = Collections.unmodifiableMap(initializers);
        this.nodes = List.copyOf(nodes);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    /** Maps and reads an ONNX file; its tensors live until {@link #close()}. */
    public static OnnxModel open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = map(file, file, arena);
            return new Reader(file, arena, data).read();
        } catch (Protobuf.Malformed e) {
            arena.close();
            throw new LlmriException(file + ": not a valid ONNX model (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path file, Path model, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new LlmriException(file.equals(model) ? file + ": no such file"
                    : model + ": its external data file " + file.getFileName() + " is missing");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    public Path file() {
        return file;
    }

    /** Initializers by name, in file order. */
    public Map<String, Initializer> initializers() {
        return initializers;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The graph's input names (older exports list the initializers here too). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The external-data files its initializers were read from, sorted (none for a self-contained file). */
    public List<Path> externalFiles() {
        return externalFiles;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** One pass over the file; external-data files are mapped once each. */
    private static final class Reader {
        private final Path file;
        private final Arena arena;
        private final MemorySegment data;
        private final Map<String, MemorySegment> external = new HashMap<>();

        Reader(Path file, Arena arena, MemorySegment data) {
            this.file = file;
            this.arena = arena;
            this.data = data;
        }

        OnnxModel read() {
            Protobuf model = new Protobuf(data, 0, data.byteSize());
            Protobuf graph = null;
            while (model.next()) {
                if (model.field() == 7) {
                    if (graph != null) throw new LlmriException(file + ": not a valid ONNX model (two graphs)");
                    graph = model.message();
                }
            }
            if (graph == null) throw new LlmriException(file + ": not an ONNX model (no graph)");
            Map<String, Initializer> inits = new LinkedHashMap<>();
            List<Node> nodes = new ArrayList<>();
            List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
            while (graph.next()) {
                switch (graph.field()) {
                    case 1 -> nodes.add(node(graph.message()));
                    case 5 -> {
                        Initializer t = tensor(graph.message());
                        if (inits.put(t.name(), t) != null) {
                            throw new LlmriException(file + ": initializer '" + t.name() + "' appears twice");
                        }
                    }
                    case 11 -> inputs.add(valueName(graph.message()));
                    case 12 -> outputs.add(valueName(graph.message()));
                    default -> { }
                }
            }
            List<Path> externalFiles = external.keySet().stream().sorted().map(file::resolveSibling).toList();
            return new OnnxModel(file, arena, inits, nodes, inputs, outputs, externalFiles);
        }

        private static Node node(Protobuf m) {
            List<String> in = new ArrayList<>(), out = new ArrayList<>();
            String name = "", op = "";
            while (m.next()) {
                switch (m.field()) {
                    case 1 -> in.add(m.string());
                    case 2 -> out.add(m.string());
                    case 3 -> name = m.string();
                    case 4 -> op = m.string();
                    default -> { }
                }
            }
            return new Node(name, op, in, out);
        }

        private static String valueName(Protobuf m) {
            String name = "";
            while (m.next()) if (m.field() == 1) name = m.string();
            return name;
        }

        private Initializer tensor(Protobuf m) {
            List<Long> dims = new ArrayList<>();
            int dataType = 0;
            String name = null;
            MemorySegment raw = null, floats = null;
            boolean typed = false, externalLocation = false;
            Map<String, String> ext = new HashMap<>();
            while (m.next()) {
                switch (m.field()) {
                    case 1 -> m.int64s(dims::add);
                    case 2 -> dataType = m.smallInt();
                    case 3 -> throw new Protobuf.Malformed("segmented tensors are not supported");
                    case 4 -> {
                        if (m.wireType() != Protobuf.LEN) throw new Protobuf.Malformed("unpacked float_data is not supported");
                        floats = m.bytes();
                    }
                    case 5, 6, 7, 10, 11 -> typed = true;
                    case 8 -> name = m.string();
                    case 9 -> raw = m.bytes();
                    case 13 -> {
                        Protobuf e = m.message();
                        String k = null, v = null;
                        while (e.next()) {
                            if (e.field() == 1) k = e.string();
                            else if (e.field() == 2) v = e.string();
                        }
                        if (k != null && v != null) ext.put(k, v);
                    }
                    case 14 -> externalLocation = m.smallInt() == 1;
                    default -> { }
                }
            }
            if (name == null) throw new LlmriException(file + ": an initializer has no name");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = dims.get(i);
            long numel = 1;
            for (long d : shape) {
                if (d < 0 || (d != 0 && numel > Long.MAX_VALUE / 16 / d)) {
                    throw new LlmriException(file + ": initializer '" + name + "' has an invalid shape " + java.util.Arrays.toString(shape));
                }
                numel *= d;
            }
            int size = elementSize(dataType);
            if (size == 0) throw new LlmriException(file + ": initializer '" + name + "' has unsupported data_type " + dataType);
            long bytes = numel * size;
            MemorySegment body;
            if (externalLocation) {
                body = externalData(name, ext, bytes);
            } else if (raw != null) {
                body = raw;
            } else if (floats != null && dataType == FLOAT) {
                body = floats;
            } else if (typed || numel == 0) {
                return new Initializer(name, dataType, shape, null);
            } else {
                throw new LlmriException(file + ": initializer '" + name + "' has no data");
            }
            if (body.byteSize() != bytes) {
                throw new LlmriException(file + ": initializer '" + name + "' has " + body.byteSize() + " bytes of data, its shape "
                        + java.util.Arrays.toString(shape) + " needs " + bytes);
            }
            return new Initializer(name, dataType, shape, body);
        }

        /** The bytes of an external-data tensor, from a file that must lie in the model's own folder. */
        private MemorySegment externalData(String name, Map<String, String> ext, long bytes) {
            String location = ext.get("location");
            if (location == null) throw new LlmriException(file + ": initializer '" + name + "' is external but names no location");
            Path dir = file.toAbsolutePath().getParent();
            Path target = dir.resolve(location).normalize();
            if (location.isEmpty() || Path.of(location).isAbsolute() || !target.startsWith(dir) || target.equals(dir)) {
                throw new LlmriException(file + ": initializer '" + name + "' names external data '" + location
                        + "' outside the model's folder");
            }
            try {
                if (Files.exists(target) && !target.toRealPath().startsWith(dir.toRealPath())) {
                    throw new LlmriException(file + ": initializer '" + name + "' names external data '" + location
                            + "' that links outside the model's folder");
                }
            } catch (IOException e) {
                throw new LlmriException(file + ": cannot read external data '" + location + "' (" + e.getMessage() + ")");
            }
            MemorySegment whole = external.computeIfAbsent(location, l -> map(target, file, arena));
            long offset = parse(name, ext, "offset", 0);
            long length = parse(name, ext, "length", bytes);
            if (offset > whole.byteSize() || length > whole.byteSize() - offset) {
                throw new LlmriException(file + ": initializer '" + name + "' lies at bytes [" + offset + ", " + offset + "+" + length
                        + ") of " + location + ", which has " + whole.byteSize());
            }
            return whole.asSlice(offset, length);
        }

        private long parse(String name, Map<String, String> ext, String key, long otherwise) {
            String v = ext.get(key);
            if (v == null) return otherwise;
            try {
                long n = Long.parseLong(v);
                if (n >= 0) return n;
            } catch (NumberFormatException ignored) {
                // refused below
            }
            throw new LlmriException(file + ": initializer '" + name + "' has an invalid external " + key + " '" + v + "'");
        }

        private static int elementSize(int dataType) {
            return switch (dataType) {
                case 2, 3, 9 -> 1;           // uint8, int8, bool
                case 4, 5, 10, 16 -> 2;      // uint16, int16, float16, bfloat16
                case 1, 6, 12 -> 4;          // float, int32, uint32
                case 7, 11, 13 -> 8;         // int64, double, uint64
                default -> 0;
            };
        }
    }
}
