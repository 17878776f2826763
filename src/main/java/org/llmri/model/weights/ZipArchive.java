package org.llmri.model.weights;

import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.llmri.LlmriException;

/**
 * Reads a zip archive's central directory (ZIP64 included) from a mapped file and locates each entry's data,
 * so stored (uncompressed) entries can be used in place. Every offset is checked against the file.
 */
final class ZipArchive {
    static final int LOCAL_HEADER_SIG = 0x04034b50;
    static final int CENTRAL_HEADER_SIG = 0x02014b50;
    static final int END_SIG = 0x06054b50;
    static final int ZIP64_END_SIG = 0x06064b50;
    static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    static final int METHOD_STORED = 0;
    private static final int END_SIZE = 22;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIZE = 30;

    record Entry(String name, int method, int flags, long compressedSize, long size, long localHeaderOffset) {}

    private final Path file;
    private final MemorySegment whole;
    private final Map<String, Entry> entries;

    private ZipArchive(Path file, MemorySegment whole, Map<String, Entry> entries) {
        this.file = file;
        this.whole = whole;
        this.entries = entries;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    static ZipArchive read(Path file, MemorySegment whole) {
        long size = whole.byteSize();
        long end = findEnd(file, whole);
        long count = u16(whole, end + 10);
        long cdSize = u32(whole, end + 12);
        long cdOffset = u32(whole, end + 16);
        if (count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            long locator = end - 20;
            if (locator < 0 || i32(whole, locator) != ZIP64_LOCATOR_SIG) {
                throw broken(file, "ZIP64 sizes without a ZIP64 locator");
            }
            long end64 = whole.get(ValueLayoutsLE.I64, locator + 8);
            if (end64 < 0 || end64 > locator - 56 || i32(whole, end64) != ZIP64_END_SIG) {
                throw broken(file, "ZIP64 end record missing or outside the file");
            }
            count = whole.get(ValueLayoutsLE.I64, end64 + 32);
            cdSize = whole.get(ValueLayoutsLE.I64, end64 + 40);
            cdOffset = whole.get(ValueLayoutsLE.I64, end64 + 48);
            end = end64;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > end || cdSize > end - cdOffset) {
            throw broken(file, "central directory lies outside the file (truncated?)");
        }
        if (count < 0 || count > cdSize / CENTRAL_SIZE) {
            throw broken(file, "central directory claims " + count + " entries in " + cdSize + " bytes");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (p > cdEnd - CENTRAL_SIZE || i32(whole, p) != CENTRAL_HEADER_SIG) {
                throw broken(file, "central directory entry " + i + " is damaged");
            }
            int flags = u16(whole, p + 8);
            int method = u16(whole, p + 10);
            long csize = u32(whole, p + 20);
            long usize = u32(whole, p + 24);
            int nameLen = u16(whole, p + 28);
            int extraLen = u16(whole, p + 30);
            int commentLen = u16(whole, p + 32);
            long local = u32(whole, p + 42);
            long varEnd = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
            if (varEnd > cdEnd) throw broken(file, "central directory entry " + i + " runs past the directory");
            String name = utf8(file, whole.asSlice(p + CENTRAL_SIZE, nameLen));
            // ZIP64 extra field: the 64-bit values appear only for the fields saturated at 0xFFFFFFFF, in this order
            long x = p + CENTRAL_SIZE + nameLen;
            long xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = u16(whole, x);
                int len = u16(whole, x + 2);
                if (x + 4 + len > xEnd) throw broken(file, "entry '" + name + "' has a damaged extra field");
                if (id == 0x0001) {
                    long q = x + 4;
                    long qEnd = q + len;
                    if (usize == 0xFFFFFFFFL) { usize = long64(file, whole, q, qEnd, name); q += 8; }
                    if (csize == 0xFFFFFFFFL) { csize = long64(file, whole, q, qEnd, name); q += 8; }
                    if (local == 0xFFFFFFFFL) { local = long64(file, whole, q, qEnd, name); }
                }
                x += 4 + len;
            }
            if (csize < 0 || usize < 0 || local < 0 || local > size - LOCAL_SIZE) {
                throw broken(file, "entry '" + name + "' points outside the file");
            }
            if (out.put(name, new Entry(name, method, flags, csize, usize, local)) != null) {
                throw broken(file, "entry '" + name + "' appears twice");
            }
            p = varEnd;
        }
        return new ZipArchive(file, whole, out);
    }

    /** The bytes of a stored entry, in place; compressed entries are refused (they cannot be mapped). */
    MemorySegment storedData(Entry e) {
        if (e.method() != METHOD_STORED || e.compressedSize() != e.size()) {
            throw new LlmriException(file + ": entry '" + e.name() + "' is compressed (method " + e.method()
                    + "); llmri maps stored entries only, as torch.save writes them");
        }
        long p = e.localHeaderOffset();
        if (i32(whole, p) != LOCAL_HEADER_SIG) throw broken(file, "local header of '" + e.name() + "' is missing");
        long data = p + LOCAL_SIZE + u16(whole, p + 26) + u16(whole, p + 28);
        if (data > whole.byteSize() || e.size() > whole.byteSize() - data) {
            throw broken(file, "data of '" + e.name() + "' runs past the end of the file (truncated?)");
        }
        return whole.asSlice(data, e.size());
    }

    private static long findEnd(Path file, MemorySegment whole) {
        long size = whole.byteSize();
        long lowest = Math.max(0, size - END_SIZE - 0xFFFF);
        for (long p = size - END_SIZE; p >= lowest; p--) {
            if (i32(whole, p) == END_SIG && p + END_SIZE + u16(whole, p + 20) == size) return p;
        }
        for (long p = size - END_SIZE; p >= lowest; p--) {
            if (i32(whole, p) == END_SIG) return p;
        }
        throw broken(file, "no end-of-central-directory record (truncated or not a zip file)");
    }

    private static long long64(Path file, MemorySegment whole, long q, long qEnd, String name) {
        if (q + 8 > qEnd) throw broken(file, "entry '" + name + "' has a short ZIP64 field");
        return whole.get(ValueLayoutsLE.I64, q);
    }

    private static String utf8(Path file, MemorySegment bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(bytes.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw broken(file, "an entry name is not UTF-8");
        }
    }

    static LlmriException broken(Path file, String what) {
        return new LlmriException(file + ": broken zip archive: " + what);
    }

    static int i32(MemorySegment s, long off) {
        return s.get(ValueLayoutsLE.I32, off);
    }

    static long u32(MemorySegment s, long off) {
        return s.get(ValueLayoutsLE.I32, off) & 0xFFFFFFFFL;
    }

    static int u16(MemorySegment s, long off) {
        return s.get(ValueLayoutsLE.I16, off) & 0xFFFF;
    }
}
