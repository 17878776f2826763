package org.llmri.model.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.llmri.LlmriException;

/**
 * Reads a PyTorch zip checkpoint ({@code torch.save} of a state dict, as {@code pytorch_model.bin}): the
 * pickle in {@code <archive>/data.pkl} goes through {@link RestrictedUnpickler}; each storage
 * {@code <archive>/data/<key>} is a stored zip entry, mapped in place.
 */
final class TorchCheckpoint {
    /** A state-dict pickle is about a hundred bytes per tensor; anything far larger is not one. */
    static final long MAX_PICKLE_BYTES = 64L * 1024 * 1024;

    private TorchCheckpoint() {}

    /** Maps the checkpoint into {@code arena} and returns its tensors by stored key. */
    static SortedMap<String, Tensor> map(Path file, Arena arena) {
        MemorySegment whole;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new LlmriException(file + ": empty file");
            whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new LlmriException(file + ": file not found");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file, whole);
    }

    static SortedMap<String, Tensor> parse(Path file, MemorySegment whole) {
        if (isLegacyFormat(whole)) {
            throw new LlmriException(file + ": legacy (pre-1.6) torch.save format is not supported;"
                    + " convert it to safetensors or re-save it with a recent PyTorch");
        }
        ZipArchive zip = ZipArchive.read(file, whole);
        String prefix = archivePrefix(file, zip);
        Map<String, ZipArchive.Entry> entries = zip.entries();

        ZipArchive.Entry byteorder = entries.get(prefix + "byteorder");
        if (byteorder != null) {
            String order = text(zip.storedData(byteorder), 16).strip();
            if (!order.equals("little")) {
                throw new LlmriException(file + ": byteorder is '" + order + "'; llmri reads little-endian checkpoints only");
            }
        }
        ZipArchive.Entry pkl = entries.get(prefix + "data.pkl");
        if (pkl.size() > MAX_PICKLE_BYTES) {
            throw new LlmriException(file + ": data.pkl is " + pkl.size() + " bytes, more than a state dict needs");
        }
        byte[] pickle = zip.storedData(pkl).toArray(ValueLayout.JAVA_BYTE);
        var refs = RestrictedUnpickler.loadStateDict(pickle, file.toString());

        SortedMap<String, Tensor> out = new TreeMap<>();
        for (var e : refs.entrySet()) {
            String key = e.getKey();
            RestrictedUnpickler.TensorRef t = e.getValue();
            RestrictedUnpickler.StorageRef s = t.storage();
            // an integer or boolean buffer (a causal-mask cache, not a weight): no model reads it
            if (s.dtype() == null) continue;
            String where = file + ": tensor '" + key + "'";
            ZipArchive.Entry data = entries.get(prefix + "data/" + s.key());
            if (data == null) throw new LlmriException(where + ": its storage '" + s.key() + "' is missing from the archive");
            MemorySegment storage = zip.storedData(data);
            int bytes = s.dtype().bytes();
            if (s.numel() > storage.byteSize() / bytes) {
                throw new LlmriException(where + ": storage '" + s.key() + "' should hold " + s.numel() + " " + s.dtype()
                        + " elements but has " + storage.byteSize() + " bytes");
            }
            long[] shape = t.shape();
            long numel = Tensor.numelOf(shape);
            if (numel < 0) throw new LlmriException(where + ": invalid size " + Arrays.toString(shape));
            if (t.stride().length != shape.length) {
                throw new LlmriException(where + ": stride " + Arrays.toString(t.stride()) + " does not match size "
                        + Arrays.toString(shape));
            }
            if (numel > 0 && !isContiguous(shape, t.stride())) {
                throw new LlmriException(where + ": stride " + Arrays.toString(t.stride()) + " for size "
                        + Arrays.toString(shape) + " is not contiguous; llmri reads contiguous tensors only");
            }
            if (t.offset() < 0 || numel > s.numel() || t.offset() > s.numel() - numel) {
                throw new LlmriException(where + ": elements [" + t.offset() + ", " + t.offset() + "+" + numel
                        + ") lie outside its storage of " + s.numel());
            }
            out.put(key, Tensor.of(key, s.dtype(), shape, storage.asSlice(t.offset() * bytes, numel * bytes)));
        }
        return out;
    }

    /** Row-major contiguity; a dimension of size 1 may carry any stride (PyTorch does not normalise it). */
    static boolean isContiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** torch.save writes every entry under one folder ("archive", or the file's stem in older versions). */
    private static String archivePrefix(Path file, ZipArchive zip) {
        List<String> pickles = new ArrayList<>();
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) pickles.add(name);
        }
        if (pickles.isEmpty()) {
            throw new LlmriException(file + ": zip archive without <folder>/data.pkl; not a PyTorch checkpoint");
        }
        if (pickles.size() > 1) {
            throw new LlmriException(file + ": several data.pkl entries (" + String.join(", ", pickles) + ")");
        }
        return pickles.getFirst().substring(0, pickles.getFirst().length() - "data.pkl".length());
    }

    /** The pre-1.6 format starts with a pickled magic number instead of a zip local header. */
    private static boolean isLegacyFormat(MemorySegment whole) {
        return whole.byteSize() >= 2 && (whole.get(ValueLayout.JAVA_BYTE, 0) & 0xFF) == 0x80
                && whole.get(ValueLayout.JAVA_BYTE, 1) == 2;
    }

    private static String text(MemorySegment seg, int maxBytes) {
        byte[] b = seg.asSlice(0, Math.min(seg.byteSize(), maxBytes)).toArray(ValueLayout.JAVA_BYTE);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
