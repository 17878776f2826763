package org.llmri.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Native memory for packed weights, backed by transparent huge pages where Linux offers them. A token's
 * matmuls stream every weight once; with 4 KiB pages that stream takes a TLB miss every 4 KiB, and the
 * measured read bandwidth on 2 cores rose from about 25 to 29 GB/s with 2 MiB pages. Linux's default
 * THP mode ("madvise") only gives huge pages to memory that asks before it is touched, and an Arena's
 * memory arrives already zeroed (touched), so large blocks are mapped here with mmap and advised with
 * madvise(MADV_HUGEPAGE). Where either call is missing or fails, the Arena's ordinary memory is used.
 */
final class HugePages {
    private HugePages() {}

    private static final long HUGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var lib = linker.defaultLookup();
                var address = ValueLayout.ADDRESS;
                var i32 = ValueLayout.JAVA_INT;
                var i64 = ValueLayout.JAVA_LONG;
                mmap = linker.downcallHandle(lib.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(address, address, i64, i32, i32, i32, i64));
                munmap = linker.downcallHandle(lib.find("munmap").orElseThrow(), FunctionDescriptor.of(i32, address, i64));
                madvise = linker.downcallHandle(lib.find("madvise").orElseThrow(), FunctionDescriptor.of(i32, address, i64, i32));
            } catch (RuntimeException | LinkageError e) {
                mmap = munmap = madvise = null; // no native access here: ordinary memory
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /** Zeroed memory of the given size that lives as long as the arena, in huge pages where possible. */
    static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < HUGE || MMAP == null) return arena.allocate(bytes, 64);
        // the whole mapping is advised, its last partial huge page included: a tail left in 4 KiB pages
        // (as it was: 1.5 MB of the 3.5 MB q/k/v matrix) costs a TLB walk every 4 KiB, slow under a
        // hypervisor (one core's 32-row matmul: about 60 GFLOP/s with the tails so, 80 without)
        long advised = (bytes + HUGE - 1) / HUGE * HUGE;
        long mapped = advised + HUGE; // room to start on a 2 MiB boundary
        MemorySegment base;
        try {
            base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, mapped, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return arena.allocate(bytes, 64);
        }
        if (base.address() == -1L) return arena.allocate(bytes, 64); // MAP_FAILED
        long start = (base.address() + HUGE - 1) / HUGE * HUGE;
        MemorySegment block = MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(base, mapped));
        try {
            int ignored = (int) MADVISE.invokeExact(block, advised, MADV_HUGEPAGE);
        } catch (Throwable t) {
            // advice only: ordinary pages work too
        }
        return block;
    }

    /**
     * An allocator that packs one model's matrices end to end into huge-page slabs living as long as the
     * arena. Each matrix in a mapping of its own would leave a partly used huge page at its end (up to
     * 2 MiB of memory each, 49 times for Galactica-125M); side by side they share pages, and only each
     * slab's last page is partly used.
     */
    static SegmentAllocator slabs(Arena arena) {
        return new Slabs(arena);
    }

    private static final class Slabs implements SegmentAllocator {
        private static final long SLAB = 32L << 20;
        private final Arena arena;
        private MemorySegment slab = MemorySegment.NULL;
        private long used;

        Slabs(Arena arena) {
            this.arena = arena;
        }

        @Override
        public synchronized MemorySegment allocate(long bytes, long alignment) {
            long start = (used + alignment - 1) / alignment * alignment;
            if (start + bytes > slab.byteSize()) {
                // a request larger than a slab gets a slab of its own size; the rest of the old slab,
                // never touched, costs no memory
                slab = HugePages.allocate(arena, Math.max(SLAB, bytes));
                start = 0;
            }
            used = start + bytes;
            return slab.asSlice(start, bytes, alignment);
        }
    }

    private static void unmap(MemorySegment base, long bytes) {
        try {
            int ignored = (int) MUNMAP.invokeExact(base, bytes);
        } catch (Throwable t) {
            // the process is giving the memory back anyway
        }
    }
}
