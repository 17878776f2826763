package org.llmri.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThreadsTest {
    /** Pieces handed out on demand still cover every index exactly once, whatever the split (none when n is 0). */
    @ParameterizedTest
    @CsvSource({"0, 1, 2", "1, 1, 2", "7, 3, 2", "100, 1, 2", "100, 64, 3", "1000, 7, 3", "50, 4, 1"})
    void forEachPieceRunsEveryIndexOnce(int n, int grain, int parallelism) {
        try (Threads threads = new Threads(parallelism)) {
            for (int round = 0; round < 20; round++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                threads.forEachPiece(n, grain, (from, to) -> {
                    assertThat(to - from).isBetween(1, parallelism == 1 ? n : grain);
                    for (int i = from; i < to; i++) runs.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(runs.get(i)).as("index %d, round %d", i, round).isEqualTo(1);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "2"})
    void aFailingPieceFailsTheCall(int parallelism) {
        try (Threads threads = new Threads(parallelism)) {
            assertThatThrownBy(() -> threads.forEachPiece(64, 1, (from, to) -> {
                if (from <= 37 && 37 < to) throw new IllegalStateException("piece 37");
            })).isInstanceOf(IllegalStateException.class).hasMessage("piece 37");
            // and the workers are still usable afterwards
            AtomicIntegerArray runs = new AtomicIntegerArray(10);
            threads.forEachPiece(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) runs.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertThat(runs.get(i)).isEqualTo(1);
        }
    }
}
