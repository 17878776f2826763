package org.llmri.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class TsvTest {
    @TempDir Path dir;

    @Test
    void roundTripsAndReadsNumbers() {
        Path f = dir.resolve("events.tsv");
        Tsv.write(f, List.of("onset", "duration", "trial_type"), List.of(List.of(0, 32, "control"), List.of(32, 32.5, "task\tx")));
        Tsv.Table t = Tsv.read(f);
        assertThat(t.header()).containsExactly("onset", "duration", "trial_type");
        assertThat(t.numbers("duration")).containsExactly(32, 32.5);
        assertThat(t.column("trial_type")).containsExactly("control", "task x");
    }

    @Test
    void badCellsNameFileLineAndColumn() throws Exception {
        Path f = dir.resolve("bad.tsv");
        Files.writeString(f, "onset\tduration\n0\t3\nx\t4\n");
        assertThatThrownBy(() -> Tsv.read(f).numbers("onset")).isInstanceOf(LlmriException.class)
                .hasMessage(f + ":3: column 'onset' is not a number: 'x'");
        Files.writeString(f, "onset\tduration\n0\n");
        assertThatThrownBy(() -> Tsv.read(f)).hasMessageContaining("bad.tsv:2: 1 cells, header has 2");
        Files.writeString(f, "onset\tduration\n0\t1\n");
        assertThatThrownBy(() -> Tsv.read(f).column("nope")).hasMessageContaining("no column 'nope'");
    }
}
