package org.llmri.model.weights;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;

/**
 * Reads the pickle inside a PyTorch checkpoint without executing anything. It knows the opcodes torch.save
 * emits (protocol 2, plus the few protocol 3/4 ones) and accepts only the globals a state dict needs:
 * {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and the float storage types.
 * Any other global is refused by name. Object creation is budgeted, so a hostile pickle cannot exhaust memory,
 * and parsing only moves forward, so it cannot hang.
 */
final class RestrictedUnpickler {
    /** A storage named by a persistent id: ('storage', torch.XStorage, key, location, numel). */
    record StorageRef(DType dtype, String key, String location, long numel) {}

    /** A dense tensor over a storage, as torch._utils._rebuild_tensor_v2 describes it. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {}

    /** A Python tuple; kept apart from lists so argument shapes can be checked. */
    record Tuple(List<Object> items) {}

    private record Global(String module, String name) {
        String display() {
            return module + " " + name;
        }
    }

    /** Python's None: collections here cannot tell a missing value from null. */
    private enum None { NONE }

    /** About twenty objects per tensor: room for 100,000 tensors, and at most ~100 MB for a hostile pickle. */
    static final int MAX_OBJECTS = 2_000_000;
    static final int MAX_MEMO = 1_000_000;

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR_V2 = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Map<Global, DType> STORAGE_TYPES = Map.of(
            new Global("torch", "FloatStorage"), DType.F32,
            new Global("torch", "HalfStorage"), DType.F16,
            new Global("torch", "BFloat16Storage"), DType.BF16);
    /**
     * Integer and boolean storages: only non-parameter buffers use them (the original GPT-2 checkpoint's
     * attn.bias causal mask). Their tensors are read as references with a null dtype and then left out.
     */
    private static final java.util.Set<Global> BUFFER_STORAGE_TYPES = java.util.Set.of(
            new Global("torch", "ByteStorage"), new Global("torch", "BoolStorage"));

    private final byte[] in;
    private final String source;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, StorageRef> storages = new HashMap<>();
    private long objects;

    private RestrictedUnpickler(byte[] in, String source) {
        this.in = in;
        this.source = source;
    }

    /**
     * Unpickles a state dict: returns its entries in pickle order, each value a {@link TensorRef}.
     *
     * @param source the file and entry named in error messages
     */
    static LinkedHashMap<String, TensorRef> loadStateDict(byte[] pickle, String source) {
        RestrictedUnpickler u = new RestrictedUnpickler(pickle, source);
        Object root = u.run();
        if (!(root instanceof Map<?, ?> map)) {
            throw new LlmriException(source + ": the pickle holds a " + typeName(root) + ", not a state dict");
        }
        LinkedHashMap<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new LlmriException(source + ": state dict key of type " + typeName(e.getKey()) + " (expected str)");
            }
            if (!(e.getValue() instanceof TensorRef t)) {
                throw new LlmriException(source + ": state dict entry '" + key + "' is a " + typeName(e.getValue())
                        + ", not a tensor");
            }
            out.put(key, t);
        }
        return out;
    }

    private Object run() {
        while (true) {
            if (pos >= in.length) throw fail("ends without a STOP opcode (truncated?)");
            int at = pos;
            int op = in[pos++] & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) throw fail("pickle protocol " + v + " is not supported");
                }
                case 0x95 -> skip(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) throw fail("has leftover values at STOP");
                    return result;
                }
                case '(' -> marks.add(stack.size()); // MARK
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case '}' -> push(counted(new LinkedHashMap<>())); // EMPTY_DICT
                case ']' -> push(counted(new ArrayList<>())); // EMPTY_LIST
                case ')' -> push(counted(new Tuple(List.of()))); // EMPTY_TUPLE
                case 't' -> push(counted(new Tuple(countItems(popMark())))); // TUPLE
                case 0x85 -> push(newTuple(1)); // TUPLE1
                case 0x86 -> push(newTuple(2)); // TUPLE2
                case 0x87 -> push(newTuple(3)); // TUPLE3
                case 'l' -> push(counted(new ArrayList<>(countItems(popMark())))); // LIST
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> d = counted(new LinkedHashMap<>());
                    putPairs(d, items);
                    push(d);
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                    count(1);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(countItems(items));
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    putPairs(dict(peek()), List.of(k, v));
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putPairs(dict(peek()), items);
                }
                case 'J' -> push(counted((long) readInt32())); // BININT
                case 'K' -> push(counted((long) u8())); // BININT1
                case 'M' -> push(counted((long) (u8() | (u8() << 8)))); // BININT2
                case 0x8a -> push(counted(readLong1())); // LONG1
                case 'G' -> { // BINFLOAT, big-endian
                    long bits = 0;
                    for (int i = 0; i < 8; i++) bits = (bits << 8) | u8();
                    push(counted(Double.longBitsToDouble(bits)));
                }
                case 'N' -> push(None.NONE);
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'X' -> push(counted(readUtf8(readInt32Length()))); // BINUNICODE
                case 0x8c -> push(counted(readUtf8(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(counted(readUtf8(readInt64Length()))); // BINUNICODE8
                case 'c' -> push(global(readLine(), readLine())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 'b' -> { // BUILD: OrderedDict state (torch's _metadata) carries no weights
                    Object state = pop();
                    Object target = peek();
                    if (!(target instanceof Map<?, ?>)) {
                        throw fail("BUILD on a " + typeName(target) + " is not allowed");
                    }
                    if (!(state instanceof Map<?, ?>) && state != None.NONE && !(state instanceof Tuple)) {
                        throw fail("BUILD with a " + typeName(state) + " state is not allowed");
                    }
                }
                case 'Q' -> push(persistentLoad(pop())); // BINPERSID
                case 'q' -> memoPut(u8()); // BINPUT
                case 'r' -> memoPut(readInt32() & 0xFFFFFFFFL); // LONG_BINPUT
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(readInt32() & 0xFFFFFFFFL)); // LONG_BINGET
                default -> throw new LlmriException(source + ": unsupported pickle opcode 0x" + Integer.toHexString(op)
                        + " at byte " + at + " (not something torch.save writes for a state dict)");
            }
        }
    }

    private Object global(String module, String name) {
        Global g = new Global(module, name);
        if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR_V2) || STORAGE_TYPES.containsKey(g)
                || BUFFER_STORAGE_TYPES.contains(g)) return g;
        throw new LlmriException(source + ": refused pickle global '" + clip(g.display())
                + "' (a state dict needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2"
                + " and torch Float/Half/BFloat16Storage)");
    }

    private Object reduce(Object callable, Object args) {
        if (!(args instanceof Tuple(List<Object> a))) throw fail("REDUCE arguments are a " + typeName(args) + ", not a tuple");
        if (ORDERED_DICT.equals(callable)) {
            if (!a.isEmpty()) throw fail("collections.OrderedDict called with arguments");
            return counted(new LinkedHashMap<>());
        }
        if (REBUILD_TENSOR_V2.equals(callable)) {
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (a.size() != 6 && a.size() != 7) throw fail("_rebuild_tensor_v2 called with " + a.size() + " arguments");
            if (!(a.get(0) instanceof StorageRef storage)) throw fail("_rebuild_tensor_v2 without a storage");
            if (!(a.get(1) instanceof Long offset)) throw fail("_rebuild_tensor_v2 storage offset is not an integer");
            long[] shape = longs(a.get(2), "size");
            long[] stride = longs(a.get(3), "stride");
            if (!(a.get(4) instanceof Boolean)) throw fail("_rebuild_tensor_v2 requires_grad is not a bool");
            return counted(new TensorRef(storage, offset, shape, stride));
        }
        throw fail("REDUCE may only call collections.OrderedDict or torch._utils._rebuild_tensor_v2, not a "
                + typeName(callable));
    }

    private long[] longs(Object o, String what) {
        if (!(o instanceof Tuple(List<Object> items))) throw fail("_rebuild_tensor_v2 " + what + " is not a tuple");
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) throw fail("_rebuild_tensor_v2 " + what + " holds a non-integer");
            out[i] = v;
        }
        return out;
    }

    private StorageRef persistentLoad(Object pid) {
        if (!(pid instanceof Tuple(List<Object> p)) || p.size() != 5 || !"storage".equals(p.get(0))) {
            throw fail("persistent id is not ('storage', type, key, location, numel)");
        }
        if (!(p.get(1) instanceof Global g) || !(STORAGE_TYPES.containsKey(g) || BUFFER_STORAGE_TYPES.contains(g))) throw fail("persistent id names no storage type");
        if (!(p.get(2) instanceof String key) || !(p.get(3) instanceof String location) || !(p.get(4) instanceof Long numel)
                || numel < 0) {
            throw fail("persistent id has a malformed key, location or size");
        }
        StorageRef ref = new StorageRef(STORAGE_TYPES.get(g), key, location, numel);
        StorageRef earlier = storages.putIfAbsent(key, ref);
        if (earlier != null && (earlier.dtype() != ref.dtype() || earlier.numel() != ref.numel())) {
            throw fail("storage '" + clip(key) + "' is described twice with different types or sizes");
        }
        return earlier != null ? earlier : ref;
    }

    private void putPairs(Map<Object, Object> d, List<Object> items) {
        if (items.size() % 2 != 0) throw fail("dict items are not key/value pairs");
        for (int i = 0; i < items.size(); i += 2) {
            Object k = items.get(i);
            // Only scalar keys: hashing a (possibly self-referencing) container could recurse without end.
            if (!(k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double || k == None.NONE)) {
                throw fail("dict key of type " + typeName(k) + " is not allowed");
            }
            d.put(k, items.get(i + 1));
            count(1);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw fail("SETITEM on a " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw fail("APPEND on a " + typeName(o));
    }

    private Tuple newTuple(int n) {
        if (stack.size() - currentMarkFloor() < n) throw fail("stack underflow");
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return counted(new Tuple(countItems(items)));
    }

    private int currentMarkFloor() {
        return marks.isEmpty() ? 0 : marks.getLast();
    }

    private List<Object> countItems(List<Object> items) {
        count(items.size());
        return items;
    }

    private <T> T counted(T o) {
        count(1);
        return o;
    }

    private void count(long n) {
        objects += n;
        if (objects > MAX_OBJECTS) throw fail("creates more than " + MAX_OBJECTS + " objects; not a plausible state dict");
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.size() <= currentMarkFloor()) throw fail("stack underflow");
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.size() <= currentMarkFloor()) throw fail("stack underflow");
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw fail("MARK missing");
        int from = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(from, stack.size()));
        stack.subList(from, stack.size()).clear();
        return items;
    }

    private void memoPut(long index) {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) throw fail("memo grows past " + MAX_MEMO + " entries");
        memo.put(index, peek());
    }

    private Object memoGet(long index) {
        Object o = memo.get(index);
        if (o == null) throw fail("memo slot " + index + " is empty");
        return o;
    }

    private int u8() {
        if (pos >= in.length) throw fail("ends in the middle of an opcode (truncated?)");
        return in[pos++] & 0xFF;
    }

    private void skip(int n) {
        if (n > in.length - pos) throw fail("ends in the middle of an opcode (truncated?)");
        pos += n;
    }

    private int readInt32() {
        return u8() | (u8() << 8) | (u8() << 16) | (u8() << 24);
    }

    private int readInt32Length() {
        long n = readInt32() & 0xFFFFFFFFL;
        if (n > in.length - pos) throw fail("string of " + n + " bytes runs past the end");
        return (int) n;
    }

    private int readInt64Length() {
        long n = 0;
        for (int i = 0; i < 8; i++) n |= (long) u8() << (8 * i);
        if (n < 0 || n > in.length - pos) throw fail("string runs past the end");
        return (int) n;
    }

    /** LONG1: a little-endian two's-complement integer of n bytes; more than 8 bytes cannot be a tensor size. */
    private long readLong1() {
        int n = u8();
        if (n > 8) throw fail("integer of " + n + " bytes is too large");
        if (n > in.length - pos) throw fail("ends in the middle of an opcode (truncated?)");
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long) (in[pos + i] & 0xFF) << (8 * i);
        if (n > 0 && n < 8 && (in[pos + n - 1] & 0x80) != 0) v |= -1L << (8 * n);
        pos += n;
        return v;
    }

    private String readUtf8(int n) {
        if (n > in.length - pos) throw fail("string of " + n + " bytes runs past the end");
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(in, pos, n)).toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw fail("string at byte " + pos + " is not UTF-8");
        }
    }

    /** A GLOBAL operand: ASCII up to a newline, at most 256 bytes (module and attribute names are short). */
    private String readLine() {
        int start = pos;
        int limit = Math.min(in.length, pos + 256);
        for (int i = pos; i < limit; i++) {
            if (in[i] == '\n') {
                pos = i + 1;
                return new String(in, start, i - start, StandardCharsets.ISO_8859_1);
            }
        }
        throw fail("GLOBAL name without a newline within 256 bytes");
    }

    private LlmriException fail(String what) {
        return new LlmriException(source + ": malformed pickle: " + what + " (at byte " + pos + ")");
    }

    private static String clip(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() > 80 ? oneLine.substring(0, 80) + "..." : oneLine;
    }

    static String typeName(Object o) {
        return switch (o) {
            case null -> "null";
            case None n -> "None";
            case String s -> "str";
            case Long l -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case Tuple t -> "tuple";
            case Map<?, ?> m -> "dict";
            case List<?> l -> "list";
            case Global g -> "global " + clip(g.display());
            case StorageRef s -> "storage";
            case TensorRef t -> "tensor";
            default -> o.getClass().getSimpleName();
        };
    }
}
