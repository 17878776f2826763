package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void unknownOptionIsAUsageErrorNotAStackTrace() {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--no-such-option");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option").doesNotContain("Exception");
    }
}
