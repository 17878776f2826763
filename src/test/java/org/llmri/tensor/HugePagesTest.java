package org.llmri.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The weight memory that packed matrices share. */
class HugePagesTest {
    @Test
    void slabsHandOutAlignedZeroedDisjointPiecesOfEverySize() {
        long[] sizes = {100, 3L << 20, 1, 40L << 20, 5L << 20, 64, 30L << 20};
        try (Arena arena = Arena.ofConfined()) {
            SegmentAllocator slabs = HugePages.slabs(arena);
            List<MemorySegment> pieces = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                MemorySegment s = slabs.allocate(sizes[i], 64);
                assertThat(s.byteSize()).isEqualTo(sizes[i]);
                assertThat(s.address() % 64).as("alignment of piece " + i).isZero();
                assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isZero();
                assertThat(s.get(ValueLayout.JAVA_BYTE, sizes[i] - 1)).isZero();
                s.fill((byte) (i + 1));
                pieces.add(s);
            }
            for (int i = 0; i < pieces.size(); i++) {
                MemorySegment a = pieces.get(i);
                // each piece still holds what was written to it: no later piece overlapped it
                assertThat(a.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) (i + 1));
                assertThat(a.get(ValueLayout.JAVA_BYTE, a.byteSize() - 1)).isEqualTo((byte) (i + 1));
                for (int j = i + 1; j < pieces.size(); j++) {
                    MemorySegment b = pieces.get(j);
                    boolean apart = a.address() + a.byteSize() <= b.address() || b.address() + b.byteSize() <= a.address();
                    assertThat(apart).as("pieces " + i + " and " + j + " overlap").isTrue();
                }
            }
        }
    }
}
